// The fine-tune panel's data: the photos a person chose, as training pairs (LR made by the
// MATLAB-style bicubic downscale, as `wgsr train --degrade bicubic`; with 'realesrgan' the sampler
// degrades HR crops instead, as `wgsr train --degrade realesrgan --clean-prob 0.5`), and one
// held-out crop for the before/after preview. The held-out crop is the right edge of the FIRST
// photo, a square centred vertically; that photo trains only on what lies left of it, so the
// preview shows pixels the network never saw. Its LR is made the way the training LR is: by the
// bicubic downscale, or by one fixed draw of the degradations (seeded by the photo's name).
import { bicubicLr, degradedEvalImage, imresize, prepareTrainingPair, scorePair, toRgb, WgsrError } from '/dist/index.js';

/** Side of the held-out crop in LR pixels, at most (×4: a 192×192 HR crop). */
const HELD_OUT_MAX = 48;
/** Below this the preview would say nothing (and PSNR's border crop would leave too little). */
const HELD_OUT_MIN = 12;

/** The width×height region of an interleaved image at (left, top), as a new image. */
export function cropRegion(image, left, top, width, height) {
  const { channels } = image;
  const data = new image.data.constructor(width * height * channels);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * channels;
    data.set(image.data.subarray(from, from + width * channels), y * width * channels);
  }
  return { ...image, width, height, data };
}

/**
 * The first photo split into its held-out crop (HR, and LR by the bicubic downscale) and the
 * part left of it that may train; `train` is undefined when that part is narrower than a patch.
 */
export function splitHeldOut(photo, scale, patch) {
  const hr = toRgb(photo.image);
  const lrWidth = Math.floor(hr.width / scale);
  const lrHeight = Math.floor(hr.height / scale);
  const side = Math.min(HELD_OUT_MAX, lrHeight, Math.floor(lrWidth / 2));
  if (side < HELD_OUT_MIN) {
    const need = HELD_OUT_MIN * scale;
    throw new WgsrError('BAD_IMAGE', `${photo.name} (the first photo, where the held-out crop comes from) is ${hr.width}×${hr.height}; it needs at least ${2 * need}×${need} at ×${scale}: put a larger photo first`);
  }
  const left = lrWidth - side;
  const top = Math.floor((lrHeight - side) / 2);
  const heldHr = cropRegion(hr, left * scale, top * scale, side * scale, side * scale);
  const heldOut = { name: photo.name, hr: heldHr, lr: bicubicLr(heldHr, scale), region: { left: left * scale, top: top * scale, side: side * scale } };
  const fitsPatch = left >= patch && lrHeight >= patch;
  const train = fitsPatch ? { name: `${photo.name} (left of the held-out crop)`, image: cropRegion(hr, 0, 0, left * scale, lrHeight * scale) } : undefined;
  return { heldOut, train };
}

/**
 * The chosen photos ({ name, image }, decoded) as prepared training pairs and the held-out crop.
 * `onPhoto(i)` is awaited before each photo's downscale, so the page can repaint in between.
 */
export async function preparePhotos(photos, { scale, patch, degrade = 'bicubic', seed = 0 }, onPhoto = async () => {}) {
  if (photos.length === 0) throw new WgsrError('BAD_ARGUMENT', 'Add a few photos (PNG or JPEG) to fine-tune on: drop them on the panel or choose them.');
  const { heldOut, train } = splitHeldOut(photos[0], scale, patch);
  const sources = [...(train ? [train] : []), ...photos.slice(1)];
  if (sources.length === 0) {
    throw new WgsrError('BAD_IMAGE', `${photos[0].name} is the only photo and, once its held-out crop is set aside, too narrow for ${patch}×${patch} LR patches at ×${scale}: add another photo or use smaller patches`);
  }
  const pairs = [];
  for (const [i, photo] of sources.entries()) {
    await onPhoto(i, sources.length);
    // With degradations the sampler still needs each photo's clean LR, for the clean half.
    pairs.push(prepareTrainingPair({ name: photo.name, hr: photo.image }, scale, patch, degrade, degrade === 'realesrgan'));
  }
  if (degrade === 'realesrgan') heldOut.lr = (await degradedEvalImage(heldOut.name, heldOut.hr, { scale, seed })).lr;
  return { pairs, heldOut };
}

/** PSNR-Y with BasicSR's conventions (border = scale) of an 8-bit result against the held-out HR crop. */
export const heldOutPsnr = (result, heldOut, scale) => scorePair(result, heldOut.hr, scale, { sr: 'the preview', hr: 'the held-out crop' }).psnr;

/** The held-out LR crop enlarged by MATLAB's bicubic (the baseline every SR network must beat). */
export const bicubicUp = (heldOut, scale) => imresize(heldOut.lr, scale);
