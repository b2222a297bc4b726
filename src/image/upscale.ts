import { WgsrError } from '../errors.js';
import { ImageJob, type TileWork } from './job.js';
import type { Image, SubmittedTile, TileNetwork, TileRunOptions, UpscaleOptions } from './types.js';

export type { Image, RowSink, SubmittedTile, TileNetwork, TileRunOptions, UpscaleOptions } from './types.js';

/**
 * Upscales `image` with `net` exactly as Real-ESRGAN's RealESRGANer.enhance does (ImageJob has
 * the steps). Where we differ, it is written where it happens: the bit depth is the image's
 * declared one (Real-ESRGAN guesses 16-bit from max > 256), pads larger than the image fold
 * instead of failing, an all-opaque alpha skips the network, and shrinking antialiases.
 */
export async function upscaleImage(net: TileNetwork, image: Image, options: UpscaleOptions = {}): Promise<Image> {
  for await (const out of upscaleImages(net, [image], options)) return out;
  throw new Error('upscaleImages yielded nothing for one image');
}

/**
 * Upscales a sequence of images (the frames of a video) with the same options, yielding each
 * result in order. The tiles of consecutive images flow through one pipeline: tile i+1 is
 * gathered and submitted before tile i is collected, across image boundaries too, so the
 * upload of one frame and the read-back of the one before overlap the GPU's work, and a
 * frame's result is handed out while the next frame's first tile computes. At most two tiles
 * are in flight. A tile still in flight when anything fails (an abort included), or when the
 * consumer stops early, is discarded before the generator ends. `onProgress` counts each
 * image's tiles.
 */
export async function* upscaleImages(net: TileNetwork, images: Iterable<Image> | AsyncIterable<Image>, options: UpscaleOptions = {}): AsyncGenerator<Image> {
  interface Running {
    job: ImageJob;
    work: TileWork;
    started: SubmittedTile;
    progress: { done: number; total: number };
  }
  let inFlight: Running | undefined;
  /** Collects a tile; returns its image when that was the image's last tile. */
  const finish = async ({ job, work, started, progress }: Running): Promise<Image | undefined> => {
    await job.put(work, await started.collect());
    progress.done++;
    options.onProgress?.(progress.done, progress.total);
    if (progress.done < progress.total) return undefined;
    throwIfAborted(options.signal, progress.done, progress.total);
    return job.finish();
  };
  try {
    for await (const image of images) {
      const job = new ImageJob(net, image, options);
      await job.begin();
      const submit = tileSubmitter(net, options.overlap ?? true, { tta: job.opts.tta });
      const progress = { done: 0, total: job.works.length };
      for (const work of job.works) {
        throwIfAborted(options.signal, progress.done, progress.total);
        const input = job.gather(work);
        const previous = inFlight;
        const { padded } = work.tile;
        inFlight = { job, work, progress, started: await submit(input, padded.y1 - padded.y0, padded.x1 - padded.x0) };
        const ready = previous && (await finish(previous));
        if (ready) yield ready;
      }
    }
    const last = inFlight;
    inFlight = undefined;
    const ready = last && (await finish(last));
    if (ready) yield ready;
  } finally {
    await inFlight?.started.discard();
  }
}

/**
 * How tiles reach the network: its own `submit` when it has one and overlap is wanted, else
 * `forward`, called only when the tile is collected (nothing runs ahead, and a discarded tile
 * never runs).
 */
function tileSubmitter(
  net: TileNetwork,
  overlap: boolean,
  run: TileRunOptions,
): (tile: Float32Array, height: number, width: number) => Promise<SubmittedTile> {
  const pipelined = overlap && net.submit?.bind(net);
  if (pipelined) return (tile, height, width) => pipelined(tile, height, width, run);
  return async (tile, height, width) => ({ collect: () => net.forward(tile, height, width, run), discard: async () => undefined });
}

function throwIfAborted(signal: AbortSignal | undefined, done: number, total: number): void {
  if (signal?.aborted) {
    throw new WgsrError('ABORTED', `upscaling was aborted after ${done} of ${total} tiles`, { cause: signal.reason });
  }
}
