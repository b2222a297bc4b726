// The reader lives in npy.mjs, shared with the plain-JavaScript runners (browser, Bun/Deno, bench).
export { readNpy, type NpyArray } from './npy.mjs';
