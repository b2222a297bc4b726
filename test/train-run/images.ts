import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../../src/io/png.js';

/** A textured 8-bit RGB image (sums of sinusoids, so crops differ and a network can learn). */
export function photo(width: number, height: number, seed: number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = 128 + 60 * Math.sin((x * (0.21 + 0.05 * c) + y * 0.13 * (seed + 1)) * (1 + seed * 0.3)) + 50 * Math.cos(x * 0.05 * seed - y * (0.31 + c * 0.02));
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { width, height, channels: 3 as const, bitDepth: 8 as const, data };
}

/** A folder of such images under `root`. */
export function imageFolder(root: string, name: string, images: { name: string; width: number; height: number; seed: number }[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const i of images) writeFileSync(join(dir, i.name), encodePng(photo(i.width, i.height, i.seed)));
  return dir;
}
