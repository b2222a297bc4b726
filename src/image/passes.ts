import { WgsrError } from '../errors.js';
import type { Image } from './types.js';

/** How a network's output channels land in the image. */
export type Sink =
  /** Output channel k is written to image channel `channels[k]`. */
  | { kind: 'direct'; channels: number[] }
  /** An RGB output becomes one gray image channel (cv2 BGR2GRAY, as Real-ESRGAN does). */
  | { kind: 'gray'; channel: number };

/** One run of the network over the whole tile grid. */
export interface Pass {
  /** The image channel feeding each network input channel (gray repeats: cv2 GRAY2RGB). */
  sources: number[];
  sink: Sink;
}

export interface PassPlan {
  /** The color (or gray) passes, always run. */
  color: Pass[];
  /** The alpha channel's index, or -1 when the image has none. */
  alphaChannel: number;
  /** The pass that upscales the alpha channel with the network (alpha: 'network'). */
  alpha: Pass | null;
}

/**
 * Which network runs an image needs, following RealESRGANer.enhance: an RGB network sees RGB
 * as is, a gray plane replicated to RGB (output back to gray), and the alpha plane as a second
 * gray image. A 1-channel network sees each plane on its own.
 */
export function planPasses(net: { inChannels: number; outChannels: number }, channels: Image['channels']): PassPlan {
  const hasAlpha = channels === 2 || channels === 4;
  const alphaChannel = hasAlpha ? channels - 1 : -1;
  const colorChannels = hasAlpha ? channels - 1 : channels;
  if (net.inChannels === 3 && net.outChannels === 3) {
    const color: Pass =
      colorChannels === 3
        ? { sources: [0, 1, 2], sink: { kind: 'direct', channels: [0, 1, 2] } }
        : { sources: [0, 0, 0], sink: { kind: 'gray', channel: 0 } };
    const alpha: Pass | null = hasAlpha
      ? { sources: [alphaChannel, alphaChannel, alphaChannel], sink: { kind: 'gray', channel: alphaChannel } }
      : null;
    return { color: [color], alphaChannel, alpha };
  }
  if (net.inChannels === 1 && net.outChannels === 1) {
    const single = (c: number): Pass => ({ sources: [c], sink: { kind: 'direct', channels: [c] } });
    const color = Array.from({ length: colorChannels }, (_, c) => single(c));
    return { color, alphaChannel, alpha: hasAlpha ? single(alphaChannel) : null };
  }
  throw new WgsrError(
    'UNSUPPORTED_MODEL',
    `a network with ${net.inChannels} input and ${net.outChannels} output channels cannot upscale images: ` +
      'only RGB→RGB (3→3) and gray→gray (1→1) networks are supported',
  );
}
