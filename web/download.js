// Files in and out of the page. Out: the result as PNG (lossless, the image's own channels), JPEG
// or WebP at a quality (alpha kept only where the result has it; JPEG, which has none, gets it
// flattened onto white), and any bytes as a download. In: files dropped on a zone.
import { imageToImageData } from '/dist/index.js';
import { encodePng } from './png.js';

export const FORMATS = {
  png: { type: 'image/png', extension: 'png', lossy: false },
  jpeg: { type: 'image/jpeg', extension: 'jpg', lossy: true },
  webp: { type: 'image/webp', extension: 'webp', lossy: true },
};

export const hasAlpha = (image) => image.channels === 2 || image.channels === 4;

/** The result (a wgsr Image) encoded as `format` ('png' | 'jpeg' | 'webp'); `quality` 1–100 for the lossy ones. */
export async function encodeResult(image, format, quality) {
  const spec = FORMATS[format];
  if (!spec) throw new Error(`unknown format "${format}"`);
  if (format === 'png') return encodePng(image);
  const alpha = hasAlpha(image) && format !== 'jpeg';
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext('2d', { alpha });
  const pixels = imageToImageData(image);
  if (hasAlpha(image) && !alpha) {
    // Composite over white: putImageData would drop the alpha and show what was under it.
    const layer = new OffscreenCanvas(image.width, image.height);
    layer.getContext('2d').putImageData(pixels, 0, 0);
    context.fillStyle = '#fff';
    context.fillRect(0, 0, image.width, image.height);
    context.drawImage(layer, 0, 0);
  } else {
    context.putImageData(pixels, 0, 0);
  }
  const blob = await canvas.convertToBlob({ type: spec.type, quality: quality / 100 });
  // A browser that cannot write the format hands back a PNG instead: say so rather than mislabel it.
  if (blob.type !== spec.type) throw new Error(`this browser cannot write ${format.toUpperCase()} (it produced ${blob.type}); choose PNG`);
  return blob;
}

/** Hands `blob` to the browser as a download named `name`. */
export function saveBlob(blob, name) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  // The URL must outlive the click, which starts the download asynchronously.
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/** Files dropped on `zone` go to `take` (a FileList); the zone is marked while files hover over it. */
export function acceptDrops(zone, take) {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    take(e.dataTransfer.files);
  });
}

/** "photo.jpg" → "photo_x4.webp". */
export function resultName(inputName, scale, format) {
  return `${inputName.replace(/\.[^.]*$/, '') || 'image'}_x${scale}.${FORMATS[format].extension}`;
}
