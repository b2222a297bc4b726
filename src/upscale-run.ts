import type { DeviceExecutors, TileRunner } from './engine/executors.js';
import { WgsrError, isWgsrError } from './errors.js';
import { DEFAULT_TILE_PAD, maxTilePixels, maxTileSide, MIN_RETRY_TILE, tileSideAfterOutOfMemory, type TileMemory } from './image/tile-size.js';
import type { Image, TileNetwork, UpscaleOptions } from './image/types.js';
import { upscaleImages } from './image/upscale.js';
import type { BuiltModel } from './models/registry.js';

/** Activation memory the automatic tile size aims to stay under, unless told otherwise. */
export const DEFAULT_MAX_MEMORY = 1024 * 1024 * 1024;

/** What the image pipeline needs from the upscaler's own options. */
export interface RunSettings {
  maxMemory?: number;
  /** A name for error messages (the model file's name). */
  source?: string;
}

/**
 * Images not yet handed out, so that a run that has to start again (a smaller tile after an
 * out-of-memory error, a new device after a lost one) redoes exactly those: the frames it
 * pulled from the source and did not deliver, then the rest of the source.
 */
export class ImageReplay {
  /** Index of the next image to deliver (= images delivered so far). */
  delivered = 0;
  private readonly pending: Image[] = [];
  private readonly source: Iterator<Image> | AsyncIterator<Image>;
  private ended = false;

  constructor(images: Iterable<Image> | AsyncIterable<Image>) {
    this.source = Symbol.asyncIterator in images ? images[Symbol.asyncIterator]() : images[Symbol.iterator]();
  }

  /** The undelivered images from the first on, then the source's. */
  async *images(): AsyncGenerator<Image> {
    for (let next = this.delivered; ; next++) {
      if (next - this.delivered < this.pending.length) {
        yield this.pending[next - this.delivered]!;
        continue;
      }
      if (this.ended) return;
      const item = await this.source.next();
      if (item.done) {
        this.ended = true;
        return;
      }
      this.pending.push(item.value);
      yield item.value;
    }
  }

  /** The oldest undelivered image was delivered. */
  deliver(): void {
    this.pending.shift();
    this.delivered++;
  }
}

/**
 * Runs the image pipeline over the replay's images, handing each result to `onImage` in order
 * (awaited: a slow consumer holds the pipeline back, with the next tile in flight). When a
 * tile runs out of GPU memory, the undelivered images start again with tiles about half as
 * large (tileSideAfterOutOfMemory), down to MIN_RETRY_TILE, then the error stands; the smaller
 * side is kept in `state` for the rest.
 */
export async function runImagesRetrying(
  executors: DeviceExecutors,
  model: BuiltModel,
  replay: ImageReplay,
  onImage: (image: Image, index: number) => void | Promise<void>,
  call: UpscaleOptions,
  state: { tile?: number },
  settings: RunSettings,
): Promise<void> {
  const tilePad = call.tilePad ?? DEFAULT_TILE_PAD;
  for (;;) {
    const seen = { side: 0 };
    try {
      const net = tileNetwork(executors, model, await executors.beginCall(), seen, { tilePad, tta: call.tta === true }, settings);
      for await (const out of upscaleImages(net, replay.images(), { ...call, tile: state.tile, tilePad })) {
        await onImage(out, replay.delivered);
        replay.deliver();
      }
      return;
    } catch (err) {
      // Whatever stopped the images, their activations are not needed until the next call.
      await executors.releaseActivations();
      if (!isWgsrError(err) || err.code !== 'GPU_OUT_OF_MEMORY' || seen.side === 0) throw err;
      const next = tileSideAfterOutOfMemory(seen.side, tilePad);
      if (next === undefined) {
        throw new WgsrError(
          'GPU_OUT_OF_MEMORY',
          `${settings.source ? settings.source + ': ' : ''}the GPU ran out of memory even for ${seen.side}-pixel tiles ` +
            `(smallest tried; retries stop below ${MIN_RETRY_TILE}); free GPU memory or use a smaller model`,
          { cause: err },
        );
      }
      state.tile = next;
    }
  }
}

/** The network as the image pipeline sees it; `seen.side` records the largest tile side run. */
function tileNetwork(
  executors: DeviceExecutors,
  model: BuiltModel,
  runner: TileRunner,
  seen: { side: number },
  { tilePad, tta }: { tilePad: number; tta: boolean },
  settings: RunSettings,
): TileNetwork {
  const { main, device } = executors;
  const budget = settings.maxMemory ?? DEFAULT_MAX_MEMORY;
  const bindingLimit = device.limits.maxStorageBufferBindingSize;
  const perPixel = () => tileMemory(main.memory(1, 1), tta ? main.ttaBytesPerPixel : undefined);
  const { source } = settings;
  return {
    scale: main.scale,
    inChannels: main.inChannels,
    outChannels: main.outChannels,
    inputRange: model.inputRange,
    outputToUnit: model.outputToUnit,
    sizeMultiple: main.sizeMultiple,
    tta: true,
    forward: async (tile, h, w, run) => {
      seen.side = Math.max(h, w);
      return requireFinite(await runner.run(tile, h, w, run), h, w, source);
    },
    submit: async (tile, h, w, run) => {
      seen.side = Math.max(h, w);
      const started = await runner.submit(tile, h, w, run);
      return { collect: async () => requireFinite(await started.collect(), h, w, source), discard: started.discard };
    },
    maxTileSide: () => maxTileSide(perPixel(), budget, bindingLimit, tilePad, main.sizeMultiple),
    maxTilePixels: () => maxTilePixels(perPixel(), budget, bindingLimit),
    tileAlignment: main.tileAlignment,
  };
}

/** The activation bytes per input pixel a tile needs, with TTA's source and accumulator when it runs TTA. */
function tileMemory(graph: TileMemory, tta?: { total: number; largest: number }): TileMemory {
  if (!tta) return graph;
  return { planned: graph.planned + tta.total, largestBuffer: Math.max(graph.largestBuffer, tta.largest) };
}

/**
 * A NaN or infinity in the network's output would be clamped to black or white pixels without
 * a word (the classic fp16 failure of Real-ESRGAN); fail the image instead.
 */
function requireFinite(out: Float32Array, height: number, width: number, source?: string): Float32Array {
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) {
      throw new WgsrError(
        'NUMERIC',
        `${source ? source + ': ' : ''}the network produced a non-finite value (${out[i]}) on a ${width}×${height} tile; ` +
          'the weights may be corrupt, or its activations overflow',
      );
    }
  }
  return out;
}
