// The benches run the compiled package (npm run build). WGSR_DIST points them at another build
// of the same sources (e.g. one compiled elsewhere to compare two versions side by side).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.WGSR_DIST ? path.resolve(process.env.WGSR_DIST) : path.resolve(import.meta.dirname, '../../dist');

/** import() of a module of the compiled package, e.g. distImport('kernels/conv2d.js'). */
export function distImport(file) {
  return import(pathToFileURL(path.join(root, file)).href);
}
