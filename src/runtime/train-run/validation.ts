import { join } from 'node:path';
import { WgsrError } from '../../errors.js';
import { imresize, meanScore, modCrop, scorePair, type Score } from '../../eval/index.js';
import type { Image } from '../../image/types.js';
import { readImage } from '../../io/index.js';
import { toRgb } from '../../train/data/images.js';
import { degradedEvalImage } from '../../train/degrade/eval-set.js';
import type { Upscaler } from '../../upscaler.js';
import { listImageFiles } from '../node-train-data/folders.js';

/**
 * The held-out set a run is validated on: each HR image (RGB, 8-bit, mod-cropped to the scale)
 * with its LR made as `wgsr eval` makes it (MATLAB bicubic ÷scale), scored as `wgsr eval`
 * scores (PSNR/SSIM-Y, BasicSR's conventions, border = scale). The bicubic ×scale baseline is
 * scored once. With --degrade realesrgan each image also gets a fixed degraded LR
 * (degradedEvalImage: the run's seed, the image's name), scored as a second column.
 */
export interface ValidationImage {
  name: string;
  hr: Image;
  lr: Image;
  degraded?: Image;
}

export interface ValidationSet {
  images: ValidationImage[];
  bicubic: Score;
  /** Bicubic ×scale of the degraded LR. */
  bicubicDegraded?: Score;
}

export interface ValidationScore {
  psnr: number;
  ssim: number;
  degraded?: { psnr: number; ssim: number };
}

export async function openValidationSet(dir: string, scale: number, degraded: boolean, seed: number): Promise<ValidationSet> {
  const names = listImageFiles(dir, '--val');
  const images: ValidationImage[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const image = await readImage(path);
    if (image.bitDepth !== 8) throw new WgsrError('BAD_IMAGE', `--val ${path} is ${image.bitDepth}-bit; validation scores 8-bit images as BasicSR does (convert it to 8-bit)`);
    const hr = modCrop(toRgb(image), scale);
    if (hr.width < 2 * scale || hr.height < 2 * scale) throw new WgsrError('BAD_IMAGE', `--val ${path} is ${image.width}×${image.height}, too small to validate a ×${scale} model`);
    const lr = imresize(hr, 1 / scale);
    const d = degraded ? (await degradedEvalImage(name, hr, { scale, seed })).lr : undefined;
    images.push({ name, hr, lr, degraded: d });
  }
  const score = (pick: (i: ValidationImage) => Image) => meanScore(images.map((i) => scorePair(imresize(pick(i), scale), i.hr, scale, { sr: `${i.name} (bicubic)`, hr: i.name })));
  return { images, bicubic: score((i) => i.lr), bicubicDegraded: degraded ? score((i) => i.degraded!) : undefined };
}

/** Mean PSNR/SSIM-Y of the network on the set. */
export async function validate(up: Upscaler, set: ValidationSet, scale: number): Promise<ValidationScore> {
  const clean: Score[] = [];
  const degraded: Score[] = [];
  for (const i of set.images) {
    clean.push(scorePair(await up.upscale(i.lr), i.hr, scale, { sr: `${i.name} (model output)`, hr: i.name }));
    if (i.degraded) degraded.push(scorePair(await up.upscale(i.degraded), i.hr, scale, { sr: `${i.name} (model output, degraded LR)`, hr: i.name }));
  }
  const m = meanScore(clean);
  const d = degraded.length ? meanScore(degraded) : undefined;
  return { psnr: m.psnr, ssim: m.ssim, ...(d ? { degraded: { psnr: d.psnr, ssim: d.ssim } } : {}) };
}
