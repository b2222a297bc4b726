// Helpers for Node, Bun and Deno: a GPU device from the optional native packages, image files.
export { loadServerGpu, createServerDevice } from './runtime/node.js';
