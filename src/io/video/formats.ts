import { WgsrError } from '../../errors.js';
import type { RawFormat } from './nut.js';
import { encoderPixelFormats, pixelFormat, type VideoInfo } from './probe.js';

/** How frames travel (raw RGB to and from ffmpeg) and are stored (the encoder's pixel format). */
export interface VideoFormats {
  /** Decoded as and fed to the encoder as: 16-bit when the source has more than 8 bits, RGBA when it has alpha. */
  raw: RawFormat;
  /** The encoded pixel format (undefined: the encoder's default). */
  pixFmt?: string;
}

const ALPHA_CODECS = 'ffv1 (.mkv), png or qtrle (.mov/.mkv), prores_ks (.mov), libvpx-vp9 (.webm/.mkv)';
const DEEP_CODECS = 'libx265, ffv1 or prores_ks';

/**
 * Keeps what the source's pixel format carries, or refuses: 10/12/16-bit sources go through
 * the 16-bit path (rgb48) and are encoded in the source's format, or another of at least its
 * depth; sources with alpha keep it (RGBA in, an alpha format out) unless `dropAlpha`. An
 * encoder that can store neither is refused with the codecs that can, never silently reduced.
 * `pixFmt` (the user's explicit choice) wins when the encoder takes it.
 */
export async function chooseVideoFormats(info: VideoInfo, codec: string, asked: { pixFmt?: string; dropAlpha?: boolean }): Promise<VideoFormats> {
  const alpha = info.alpha && !asked.dropAlpha;
  const deep = info.bits > 8;
  const raw: RawFormat = alpha ? (deep ? 'rgba64le' : 'rgba') : deep ? 'rgb48le' : 'rgb24';
  const offered = await encoderPixelFormats(codec);
  if (asked.pixFmt) {
    if (offered.length && !offered.includes(asked.pixFmt)) {
      throw new WgsrError('BAD_ARGUMENT', `${codec} does not take pixel format ${asked.pixFmt}; it takes: ${offered.join(' ')}`);
    }
    return { raw, pixFmt: asked.pixFmt };
  }
  if (!offered.length) return { raw };
  const fits = async (name: string) => {
    const f = await pixelFormat(name);
    return f.alpha === alpha && f.bits >= info.bits;
  };
  if (offered.includes(info.pixFmt) && (await fits(info.pixFmt))) return { raw, pixFmt: info.pixFmt };
  for (const name of offered) if (await fits(name)) return { raw, pixFmt: name };
  if (alpha) {
    throw new WgsrError(
      'BAD_ARGUMENT',
      `the video has an alpha channel (${info.pixFmt}) and ${codec} cannot store one: choose --codec ${ALPHA_CODECS}, ` + 'or --drop-alpha to encode it without',
    );
  }
  throw new WgsrError(
    'BAD_ARGUMENT',
    `the video has ${info.bits}-bit samples (${info.pixFmt}) and ${codec} here encodes no format that deep: choose --codec ${DEEP_CODECS}, ` +
      'or --pix-fmt yuv420p to reduce it to 8 bits',
  );
}
