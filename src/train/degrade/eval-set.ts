import { modCrop } from '../../eval/score.js';
import type { Image } from '../../image/types.js';
import { toRgb } from '../data/images.js';
import { imageToPlanar, planarToImage8 } from '../data/planar.js';
import { hashString, Rng } from '../../rng.js';
import { degradeWithPlan } from './chain.js';
import { jpegLossyCodec } from './jpeg-lossy.js';
import type { JpegCodec } from './jpeg.js';
import { REALESRGAN_DEFAULTS, type DegradationOptions } from './params.js';
import { drawPlan, type DegradationPlan } from './plan.js';

/**
 * A fixed "degraded LR" version of a held-out photo, so validation on degraded input is the
 * same in every run: the whole image (RGB, cropped to a multiple of the scale) goes through the
 * degradation chain with the stream Rng.derive(seed, 2, hash(name)). The name, not the photo's
 * place in a list, picks the stream: adding a photo to the set changes no other photo's LR.
 */
export interface DegradedEvalOptions {
  scale: number;
  seed: number;
  degradation?: DegradationOptions;
  codec?: JpegCodec;
}

export interface DegradedEvalImage {
  name: string;
  /** The HR image as scored: RGB, cropped to a multiple of the scale, its bit depth kept. */
  hr: Image;
  /** 8-bit RGB, HR/scale. */
  lr: Image;
  /** What was drawn, for the log. */
  plan: DegradationPlan;
}

export async function degradedEvalImage(name: string, image: Image, o: DegradedEvalOptions): Promise<DegradedEvalImage> {
  const hr = modCrop(toRgb(image), o.scale);
  const rng = Rng.derive(o.seed, 2, hashString(name));
  const plan = drawPlan(rng, o.degradation ?? REALESRGAN_DEFAULTS);
  const lr = await degradeWithPlan(imageToPlanar(hr), plan, rng, { scale: o.scale, codec: o.codec ?? jpegLossyCodec });
  return { name, hr, lr: planarToImage8(lr), plan };
}

/** degradedEvalImage for every photo of a held-out set, one after another. */
export async function degradedEvalSet(photos: readonly { name: string; image: Image }[], o: DegradedEvalOptions): Promise<DegradedEvalImage[]> {
  const out: DegradedEvalImage[] = [];
  for (const p of photos) out.push(await degradedEvalImage(p.name, p.image, o));
  return out;
}
