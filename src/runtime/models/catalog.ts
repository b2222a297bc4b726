/**
 * The models wgsr can fetch by name: Real-ESRGAN's released weights, at the URLs its own
 * inference script downloads them from (xinntao/Real-ESRGAN's GitHub releases).
 *
 * Parameter counts are those of the architectures the script builds for each file (RRDBNet
 * num_feat 64, num_grow_ch 32; SRVGGNetCompact num_feat 64, PReLU), as our detection counts
 * them; test/runtime/models-catalog.test.ts recomputes them from synthetic state dicts.
 * Real-ESRGAN publishes no digests for its release files, so no entry has a sha256: a digest
 * here is only ever one the authors published. ESRGAN's 2018 RRDB_ESRGAN_x4 is absent: it is
 * hosted only on Google Drive, which has no stable download URL (add it through a catalogue
 * of your own, see user-catalog.ts, or give the file with -m).
 */

/** The architectures a catalogue entry may name (ModelInfo['arch']). */
export const CATALOG_ARCHS = ['RRDBNet', 'SRVGGNetCompact', 'EDSR', 'SRGAN'] as const;
export type CatalogArch = (typeof CATALOG_ARCHS)[number];

export interface CatalogEntry {
  /** The name as its authors spell it (Real-ESRGAN's `RealESRGAN_x4plus`). */
  name: string;
  /** Where the file is downloaded from. */
  url: string;
  arch: CatalogArch;
  scale: number;
  /** The parameter count our detection must find in the file. */
  parameters: number;
  /** A SHA-256 (hex) published by the model's authors, if any. */
  sha256?: string;
  /** The file's exact size in bytes, if known. */
  bytes?: number;
  /** Other names people type for it (Upscayl / realesrgan-ncnn-vulkan's). */
  aliases?: string[];
  /** The model whose weights --denoise-strength blends with this one's (Real-ESRGAN's DNI). */
  denoisePartner?: string;
  /** One line on what it is for. */
  note?: string;
  /** Where the entry came from: wgsr's own list or a user catalogue file. */
  origin?: string;
}

const RELEASES = 'https://github.com/xinntao/Real-ESRGAN/releases/download';

export const BUILTIN_CATALOG: readonly CatalogEntry[] = [
  {
    name: 'RealESRGAN_x4plus',
    url: `${RELEASES}/v0.1.0/RealESRGAN_x4plus.pth`,
    arch: 'RRDBNet',
    scale: 4,
    parameters: 16_697_987,
    note: 'general photos (GAN): the usual choice',
  },
  {
    name: 'RealESRNet_x4plus',
    url: `${RELEASES}/v0.1.1/RealESRNet_x4plus.pth`,
    arch: 'RRDBNet',
    scale: 4,
    parameters: 16_697_987,
    note: 'general photos, trained without the GAN loss: smoother',
  },
  {
    name: 'RealESRGAN_x4plus_anime_6B',
    url: `${RELEASES}/v0.2.2.4/RealESRGAN_x4plus_anime_6B.pth`,
    arch: 'RRDBNet',
    scale: 4,
    parameters: 4_467_779,
    aliases: ['realesrgan-x4plus-anime'],
    note: 'anime illustrations (6 RRDB blocks)',
  },
  {
    name: 'RealESRGAN_x2plus',
    url: `${RELEASES}/v0.2.1/RealESRGAN_x2plus.pth`,
    arch: 'RRDBNet',
    scale: 2,
    parameters: 16_703_171,
    note: 'general photos, ×2',
  },
  {
    name: 'realesr-animevideov3',
    url: `${RELEASES}/v0.2.5.0/realesr-animevideov3.pth`,
    arch: 'SRVGGNetCompact',
    scale: 4,
    parameters: 621_424,
    aliases: ['realesr-animevideov3-x4'],
    note: 'anime video (small and fast)',
  },
  {
    name: 'realesr-general-x4v3',
    url: `${RELEASES}/v0.2.5.0/realesr-general-x4v3.pth`,
    arch: 'SRVGGNetCompact',
    scale: 4,
    parameters: 1_213_296,
    aliases: ['realesrgan-x4fast'],
    denoisePartner: 'realesr-general-wdn-x4v3',
    note: 'general scenes, small and fast; --denoise-strength blends in the wdn variant',
  },
  {
    name: 'realesr-general-wdn-x4v3',
    url: `${RELEASES}/v0.2.5.0/realesr-general-wdn-x4v3.pth`,
    arch: 'SRVGGNetCompact',
    scale: 4,
    parameters: 1_213_296,
    note: 'realesr-general-x4v3 with weak denoising: it keeps more of the noise (--denoise-strength 0)',
  },
];

/** The spelling names are compared in: `RealESRGAN_x4plus` and `realesrgan-x4plus` are one name. */
export function normalModelName(name: string): string {
  return name.trim().toLowerCase().replace(/_/g, '-');
}

/** The file name a URL is cached under (its last path segment). */
export function fileNameOf(url: string): string {
  const path = new URL(url).pathname;
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}
