import { WgsrError } from '../../errors.js';

export type FetchLike = (url: string, init: { signal: AbortSignal; redirect: 'follow' }) => Promise<Response>;

export interface DownloadOptions {
  fetch?: FetchLike;
  /** Bytes so far and the total when the server says it (Content-Length). */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Give up when no byte arrives for this long (default 30 s): a stalled server never hangs a run. */
  stallTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Downloads `url` into memory. Fails, with the URL in the message, on a network error, an HTTP
 * status other than 2xx, a stall, or a body shorter or longer than its Content-Length; nothing
 * is written anywhere (the caller verifies the bytes before they reach the cache).
 */
export async function download(url: string, options: DownloadOptions = {}): Promise<Uint8Array> {
  const fetchImpl = options.fetch ?? (globalThis.fetch as FetchLike);
  const stallMs = options.stallTimeoutMs ?? 30_000;
  const controller = new AbortController();
  const outer = options.signal;
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, stallMs);
  };
  const failure = (e: unknown): WgsrError => {
    if (outer?.aborted) return new WgsrError('ABORTED', `download of ${url} cancelled`);
    if (stalled) return new WgsrError('NETWORK', `download of ${url} stalled: no data for ${(stallMs / 1000).toFixed(stallMs < 1000 ? 1 : 0)} s`);
    if (e instanceof WgsrError) return e;
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    return new WgsrError('NETWORK', `cannot download ${url}: ${cause}`, { cause: e });
  };
  try {
    arm();
    const response = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok) throw new WgsrError('NETWORK', `cannot download ${url}: the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    const header = response.headers.get('content-length');
    const total = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
    const chunks: Uint8Array[] = [];
    let received = 0;
    options.onProgress?.(0, total);
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        arm();
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        if (total !== undefined && received > total) throw new WgsrError('NETWORK', `download of ${url} sent more than the ${total} bytes it announced`);
        options.onProgress?.(received, total);
      }
    }
    if (total !== undefined && received !== total) throw new WgsrError('NETWORK', `download of ${url} is incomplete: ${received} of ${total} bytes arrived`);
    const bytes = new Uint8Array(received);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return bytes;
  } catch (e) {
    throw failure(e);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}
