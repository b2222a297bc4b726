/**
 * The browser's image classes, looked up on globalThis only when asked for: the core runs in
 * Node, Bun and Deno too, where most of them do not exist (and where naming one directly would
 * throw a ReferenceError).
 */
export function browserClass(name: string): (abstract new (...args: never[]) => unknown) | undefined {
  const value = (globalThis as Record<string, unknown>)[name];
  return typeof value === 'function' ? (value as abstract new (...args: never[]) => unknown) : undefined;
}

/** `value instanceof globalThis[name]`, false where the runtime has no such class. */
export function isInstanceOf(value: unknown, name: string): boolean {
  const cls = browserClass(name);
  return cls !== undefined && value instanceof cls;
}

/** A 2D canvas of the given size: an OffscreenCanvas where there is one (workers too), else a <canvas>. */
export function newCanvas(width: number, height: number, prefer: 'offscreen' | 'element'): OffscreenCanvas | HTMLCanvasElement | undefined {
  const doc = (globalThis as { document?: Document }).document;
  const offscreen = browserClass('OffscreenCanvas') as (new (w: number, h: number) => OffscreenCanvas) | undefined;
  if (prefer === 'element' && doc) return sized(doc.createElement('canvas'), width, height);
  if (offscreen) return new offscreen(width, height);
  return doc ? sized(doc.createElement('canvas'), width, height) : undefined;
}

function sized(canvas: HTMLCanvasElement, width: number, height: number): HTMLCanvasElement {
  canvas.width = width;
  canvas.height = height;
  return canvas;
}
