// A tiny static server for the web page: web/ at /, the built package (dist/) at /dist/, and the
// bundled model at /models/default.safetensors (the file wgsr/node's defaultModel() reads).
// `npm run serve:web` (after `npm run build`); PORT=8080 for a fixed port, otherwise a free one.
// It listens on 127.0.0.1 only: browsers expose navigator.gpu on http://127.0.0.1 (a secure
// context) but not on file:// pages, which is why the page needs a server at all.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('.', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** A bundled model's path, from the built package's wgsr/node (so the page gets what defaultModel() gives). */
async function bundledModelFile(which) {
  try {
    return (await import('../dist/node.js'))[which]();
  } catch {
    return undefined; // not built yet: a 404, like the rest of /dist/
  }
}

/** The URLs of the bundled models, and the wgsr/node function that finds each file. */
const BUNDLED_MODELS = {
  '/models/default.safetensors': 'defaultModelPath',
  '/models/default-denoise.safetensors': 'defaultDenoisingModelPath',
};

/** The file a URL path names, or undefined when it would leave the served folders. */
async function fileFor(urlPath) {
  if (Object.hasOwn(BUNDLED_MODELS, urlPath)) return bundledModelFile(BUNDLED_MODELS[urlPath]);
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const [root, rest] = path.startsWith('/dist/') ? [DIST, path.slice('/dist/'.length)] : [WEB, path.slice(1)];
  const file = resolve(root, rest || 'index.html');
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : undefined;
}

/** Starts the server; resolves once it listens. `port` 0 picks a free port. */
export function startServer({ port = 0, host = '127.0.0.1' } = {}) {
  const server = createServer(async (req, res) => {
    const file = req.method === 'GET' || req.method === 'HEAD' ? await fileFor(new URL(req.url ?? '/', 'http://x').pathname) : undefined;
    const info = file ? await stat(file).catch(() => undefined) : undefined;
    if (!file || !info?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${req.url}\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      // Always the fresh build: stale cached modules would test the wrong code.
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      done({ server, url: `http://${host}:${actual}/` });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { url } = await startServer({ port: Number(process.env.PORT ?? 0) });
  console.log(`wgsr web page: ${url}  (serving web/ and dist/; Ctrl-C to stop)`);
}
