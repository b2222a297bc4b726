import { WgsrError } from '../errors.js';
import { defineKernel, type KernelCall } from './program.js';
import { uniformStruct } from './uniforms.js';
import { ceilDiv } from './validate.js';
import { imagesAlongZ } from './images.js';

/**
 * BasicSR's filter2D over a batch, each image with its own kernel: out[n, c, y, x] =
 * Σ k_n[i][j]·in[n, c, reflect(y + i − r)][reflect(x + j − r)], 'reflect' padding (the edge
 * sample not repeated), correlation as PyTorch's conv2d. The training degradations blur every
 * HR crop of a batch with a different random kernel (sides 7…21); this runs them in one dispatch.
 *
 * Kernels are stored MAX_SIDE × MAX_SIDE each, centred (a side-s kernel in the middle s × s of its
 * square), with each image's side in `sides`: an image loops over its own taps only. A workgroup
 * computes a 16 × 16 output block of one channel of one image from a (16 + 20)² tile of the
 * input, reflected once into workgroup memory: every input sample is read from memory once per
 * workgroup, not once per tap.
 */
export const BATCH_BLUR_MAX_SIDE = 21;
const BLOCK = 16;
const HALO = BATCH_BLUR_MAX_SIDE - 1;
const TILE = BLOCK + HALO;

export const BATCH_BLUR_PARAMS = uniformStruct('BatchBlurParams', [
  { name: 'channels', type: 'u32' },
  { name: 'height', type: 'u32' },
  { name: 'width', type: 'u32' },
] as const);

const variant = defineKernel({
  key: 'batch_blur',
  storage: [
    { name: 'src', type: 'array<f32>', kind: 'read-only-storage' },
    { name: 'taps', type: 'array<f32>', kind: 'read-only-storage' },
    { name: 'sides', type: 'array<u32>', kind: 'read-only-storage' },
    { name: 'dst', type: 'array<f32>', kind: 'storage' },
  ],
  uniforms: BATCH_BLUR_PARAMS,
  body: `
const MAX_SIDE: u32 = ${BATCH_BLUR_MAX_SIDE}u;
const HALF: i32 = ${HALO / 2};
const TILE: u32 = ${TILE}u;
var<workgroup> tile: array<f32, ${TILE * TILE + 4}>; // + 4: the window reads one value past its last tap

fn reflect(i: i32, n: i32) -> i32 {
  if (n == 1) { return 0; }
  let period = 2 * (n - 1);
  let m = ((i % period) + period) % period;
  return select(period - m, m, m < n);
}

@compute @workgroup_size(${BLOCK}, ${BLOCK}, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let h = i32(u.height);
  let w = i32(u.width);
  let plane = wg.z; // n·channels + c
  let n = plane / u.channels;
  let base = plane * u.height * u.width;
  let x0 = i32(wg.x * ${BLOCK}u) - HALF;
  let y0 = i32(wg.y * ${BLOCK}u) - HALF;
  for (var t = lid.y * ${BLOCK}u + lid.x; t < TILE * TILE; t += ${BLOCK * BLOCK}u) {
    let ty = i32(t / TILE);
    let tx = i32(t % TILE);
    tile[t] = src[base + u32(reflect(y0 + ty, h) * w + reflect(x0 + tx, w))];
  }
  workgroupBarrier();
  // Each invocation of the first quarter of the block makes four neighbouring outputs, sliding
  // a window of tile values along each tap row (a value loaded serves four products).
  if (lid.x >= ${BLOCK / 4}u) { return; }
  let lx = lid.x * 4u;
  let x = wg.x * ${BLOCK}u + lx;
  let y = wg.y * ${BLOCK}u + lid.y;
  if (x >= u.width || y >= u.height) { return; }
  let side = sides[n];
  let skip = (MAX_SIDE - side) / 2; // where this image's kernel starts in its square
  let k0 = n * MAX_SIDE * MAX_SIDE + skip * MAX_SIDE + skip;
  var sum = vec4f(0.0);
  for (var i = 0u; i < side; i++) {
    let row = (lid.y + skip + i) * TILE + lx + skip;
    var win = vec4f(tile[row], tile[row + 1u], tile[row + 2u], tile[row + 3u]);
    for (var j = 0u; j < side; j++) {
      sum += taps[k0 + i * MAX_SIDE + j] * win;
      win = vec4f(win.yzw, tile[row + j + 4u]);
    }
  }
  let at = base + y * u.width + x;
  dst[at] = sum.x;
  if (x + 1u < u.width) { dst[at + 1u] = sum.y; }
  if (x + 2u < u.width) { dst[at + 2u] = sum.z; }
  if (x + 3u < u.width) { dst[at + 3u] = sum.w; }
}`,
});

export interface BatchBlurDesc {
  /** [batch, channels, height, width] f32 at element 0. */
  input: GPUBuffer;
  output: GPUBuffer;
  /** batch × MAX_SIDE² f32: each kernel centred in its square. */
  taps: GPUBuffer;
  /** batch u32: each kernel's side, odd, ≤ MAX_SIDE. */
  sides: GPUBuffer;
  batch: number;
  channels: number;
  height: number;
  width: number;
}

export function batchBlur(d: BatchBlurDesc, limits?: GPUSupportedLimits): KernelCall {
  if (d.batch < 1 || d.channels < 1 || d.height < 1 || d.width < 1) throw new WgsrError('BAD_ARGUMENT', `batch_blur: nothing to blur (${d.batch}×${d.channels}×${d.height}×${d.width})`);
  // One workgroup layer per plane: the images times their channels along z.
  const planes = imagesAlongZ('batch_blur', d.channels, d.batch, limits);
  if (d.input === d.output) throw new WgsrError('BAD_ARGUMENT', 'batch_blur: the output cannot be the input (neighbours are read after they would be written)');
  return {
    variant,
    storage: [d.input, d.taps, d.sides, d.output],
    uniforms: BATCH_BLUR_PARAMS.pack({ channels: d.channels, height: d.height, width: d.width }),
    workgroups: [ceilDiv(d.width, BLOCK), ceilDiv(d.height, BLOCK), planes],
    label: 'batch_blur',
  };
}
