import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A model host on 127.0.0.1 for download tests (never the internet). Each route is a file, or a
 * misbehaviour: `truncate` sends the first n bytes yet announces the whole length and then hangs
 * up; `stallAfter` sends n bytes and then nothing; `status` answers that HTTP status.
 */
export interface Route {
  bytes?: Uint8Array;
  truncate?: number;
  stallAfter?: number;
  status?: number;
}

export interface ModelServer {
  url: string;
  /** Requests seen per path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startModelServer(routes: Record<string, Route>): Promise<ModelServer> {
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes[path];
    if (!route || route.status) {
      res.writeHead(route?.status ?? 404).end('no such model');
      return;
    }
    const bytes = route.bytes ?? new Uint8Array();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) });
    if (route.truncate !== undefined) {
      res.write(bytes.subarray(0, route.truncate), () => res.destroy());
    } else if (route.stallAfter !== undefined) {
      res.write(bytes.subarray(0, route.stallAfter)); // and then nothing, until the client gives up
    } else {
      res.end(bytes);
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}
