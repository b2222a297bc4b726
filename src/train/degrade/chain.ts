import { WgsrError } from '../../errors.js';
import { clampUnit, quantise8, type Planar } from '../data/planar.js';
import type { Rng } from '../../rng.js';
import { filter2d } from './filter.js';
import { compressJpeg, type JpegCodec } from './jpeg.js';
import { addNoise } from './noise.js';
import type { DegradationPlan } from './plan.js';
import { kernelOf } from './random-kernel.js';
import { resizePlanar, scaledSize } from './resize.js';

/**
 * Real-ESRGAN's two-stage degradation of one HR image into its LR image
 * (realesrgan/models/realesrgan_model.py, feed_data), run on the CPU:
 *   stage 1  blur (kernel 1) → resize by a factor (up/down/keep) → noise → clamp → JPEG
 *   stage 2  blur (kernel 2, sometimes) → resize to (H/s·factor₂, W/s·factor₂) → noise
 *   final    either [resize to H/s × W/s, sinc filter] then JPEG, or JPEG then [resize, sinc];
 *            Real-ESRGAN found other orders (sinc + JPEG + resize) give twisted lines
 *   end      round to 8 bits and clamp: clamp(round(x·255), 0, 255)/255.
 * The HR sides must be multiples of `scale`. The noise takes its pixels from `rng`, which
 * should be the stream the plan was drawn from (so one seed fixes the whole sample).
 */
export interface ChainContext {
  scale: number;
  codec: JpegCodec;
  /** Told how long each step took (ms), for benchmarks: 'blur1', 'resize1', 'noise1', 'jpeg1', … */
  time?: (step: string, ms: number) => void;
}

/** Runs a step, telling ctx.time how long it took. */
async function step<T>(ctx: ChainContext, name: string, run: () => T | Promise<T>): Promise<T> {
  if (!ctx.time) return run();
  const t0 = performance.now();
  const result = await run();
  ctx.time(name, performance.now() - t0);
  return result;
}

export async function degradeWithPlan(hr: Planar, plan: DegradationPlan, rng: Rng, ctx: ChainContext): Promise<Planar> {
  const { scale, codec } = ctx;
  if (hr.channels !== 3) throw new WgsrError('BAD_ARGUMENT', `the degradations work on RGB images; this one has ${hr.channels} channels`);
  if (hr.height % scale !== 0 || hr.width % scale !== 0) {
    throw new WgsrError('BAD_ARGUMENT', `a ${hr.width}×${hr.height} HR image does not divide by the scale ${scale}; crop it to a multiple first`);
  }
  const lrH = hr.height / scale;
  const lrW = hr.width / scale;

  // Stage 1.
  let out = await step(ctx, 'blur1', () => filter2d(hr, kernelOf(plan.blur1)));
  const s1 = plan.resize1.scale;
  if (plan.resize1.direction !== 'keep') {
    const req = { mode: plan.resize1.mode, scale: s1, height: scaledSize(hr.height, s1), width: scaledSize(hr.width, s1) };
    out = await step(ctx, 'resize1', () => resizePlanar(out, req));
  }
  out = await step(ctx, 'noise1', () => addNoise(out, plan.noise1, rng));
  out = await step(ctx, 'jpeg1', () => compressJpeg(clampUnit(out), plan.jpeg1, codec));

  // Stage 2.
  const blur2 = plan.blur2;
  if (blur2) out = await step(ctx, 'blur2', () => filter2d(out, kernelOf(blur2)));
  const s2 = plan.resize2.scale;
  const req2 = { mode: plan.resize2.mode, height: Math.floor((hr.height / scale) * s2), width: Math.floor((hr.width / scale) * s2) };
  out = await step(ctx, 'resize2', () => resizePlanar(out, req2));
  out = await step(ctx, 'noise2', () => addNoise(out, plan.noise2, rng));

  // The final resize + sinc and the last JPEG, in the drawn order.
  const resizeAndSinc = (image: Planar) =>
    step(ctx, 'final resize + sinc', () => {
      const resized = resizePlanar(image, { mode: plan.finalMode, height: lrH, width: lrW });
      return plan.sinc ? filter2d(resized, kernelOf(plan.sinc)) : resized;
    });
  const jpeg2 = (image: Planar) => step(ctx, 'jpeg2', () => compressJpeg(clampUnit(image), plan.jpeg2, codec));
  out = plan.jpegBeforeFinalResize ? await resizeAndSinc(await jpeg2(out)) : await jpeg2(await resizeAndSinc(out));
  return quantise8(out);
}
