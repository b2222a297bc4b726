// A PNG writer for the download: the canvas's own encoder always writes RGBA (and passes through
// premultiplied alpha), so an opaque result would carry a useless alpha channel and a
// semi-transparent one could move by a level. This writes the image's own channels exactly.
// 8-bit gray, gray+alpha, RGB or RGBA; every row with the Sub filter; zlib from CompressionStream.

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** PNG colour types by channel count. */
const COLOR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 };

/** Rows prefixed by their filter byte (1, Sub: each byte minus the same channel one pixel left). */
function filteredRows({ width, height, channels, data }) {
  const stride = width * channels;
  const out = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const at = y * (stride + 1);
    out[at] = 1;
    for (let x = 0; x < stride; x++) out[at + 1 + x] = (data[row + x] - (x >= channels ? data[row + x - channels] : 0)) & 0xff;
  }
  return out;
}

/** A PNG Blob of an 8-bit wgsr Image, keeping its channels (no alpha unless it has one). */
export async function encodePng(image) {
  if (image.bitDepth !== 8) throw new Error(`encodePng writes 8-bit images, got ${image.bitDepth}-bit`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, image.width);
  view.setUint32(4, image.height);
  header.set([8, COLOR_TYPE[image.channels], 0, 0, 0], 8);
  const zlib = new Blob([filteredRows(image)]).stream().pipeThrough(new CompressionStream('deflate'));
  const idat = new Uint8Array(await new Response(zlib).arrayBuffer());
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Blob([signature, chunk('IHDR', header), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))], { type: 'image/png' });
}
