// The benchmark's batches: random crops of examples/chelsea.png (HR) and their MATLAB-style
// bicubic downscales (LR), as EDSR's recipe makes them, from a fixed seed; NCHW float32 in the
// network's range (EDSR: 0..255). Every engine trains on the same files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { distImport } from '../lib/dist.mjs';

const { decodeImage } = await distImport('io/index.js');
const { imresize } = await distImport('eval/index.js');

const PHOTO = path.resolve(import.meta.dirname, '../../examples/chelsea.png');

export async function makeBatches({ steps, batch, patch, scale, range, seed = 7 }) {
  const photo = await decodeImage(readFileSync(PHOTO), PHOTO);
  let a = seed;
  const random = () => ((a = (a * 48271) % 2147483647) / 2147483647);
  const hrSide = patch * scale;
  const batches = [];
  for (let s = 0; s < steps; s++) {
    const lr = new Float32Array(batch * 3 * patch * patch);
    const hr = new Float32Array(batch * 3 * hrSide * hrSide);
    for (let b = 0; b < batch; b++) {
      const x0 = Math.floor(random() * (photo.width - hrSide));
      const y0 = Math.floor(random() * (photo.height - hrSide));
      const crop = { width: hrSide, height: hrSide, channels: 3, bitDepth: 8, data: new Uint8Array(hrSide * hrSide * 3) };
      for (let y = 0; y < hrSide; y++) {
        for (let x = 0; x < hrSide; x++) {
          for (let c = 0; c < 3; c++) crop.data[(y * hrSide + x) * 3 + c] = photo.data[((y0 + y) * photo.width + x0 + x) * photo.channels + c];
        }
      }
      const small = imresize(crop, 1 / scale);
      toPlanar(crop, hr, b, range);
      toPlanar(small, lr, b, range);
    }
    batches.push({ lr: { shape: [batch, 3, patch, patch], data: lr }, hr: { shape: [batch, 3, hrSide, hrSide], data: hr } });
  }
  return batches;
}

/** An interleaved 8-bit image into image b of an NCHW batch, times range/255. */
function toPlanar(image, into, b, range) {
  const plane = image.width * image.height;
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) into[(b * 3 + c) * plane + p] = (image.data[p * 3 + c] / 255) * range;
}
