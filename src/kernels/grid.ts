import { ceilDiv } from './validate.js';

/**
 * The dispatch shape of the per-pixel kernels: one invocation per output element, x and y
 * over the output's width and height, z over its channels. No index is ever divided back into
 * coordinates (integer division is slow on CPU backends), and 16 lanes along x read
 * consecutive addresses.
 */
export const PIXEL_WORKGROUP = { x: 16, y: 4 } as const;

/**
 * The entry point of a per-pixel kernel: `body` runs with `x`, `y` and `c` for every output
 * element inside `width` × `height` (WGSL expressions); invocations past the edge return.
 */
export function pixelKernel(width: string, height: string, body: string): string {
  return `@compute @workgroup_size(${PIXEL_WORKGROUP.x}, ${PIXEL_WORKGROUP.y}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x = gid.x;
  let y = gid.y;
  let c = gid.z;
  if (x >= ${width} || y >= ${height}) { return; }
${body
  .trim()
  .split('\n')
  .map((line) => `  ${line}`)
  .join('\n')}
}
`;
}

/**
 * The entry point of an element-wise kernel over [C, H, W] tensors laid out like its output:
 * `i` is the element's index within the tensor; `setup` (WGSL statements) runs first, then
 * `value` (a WGSL f32 expression that may use `i`, `c` and what setup declared) is stored at
 * the output's element i.
 */
export function elementwiseKernel(value: string, setup = ''): string {
  return pixelKernel(
    'u.width',
    'u.height',
    `let i = (c * u.height + y) * u.width + x;
${setup}
dst[u.out_offset + i] = to_elem(${value});`.replace('\n\n', '\n'),
  );
}

export function pixelGrid(t: { channels: number; height: number; width: number }): [number, number, number] {
  return [ceilDiv(t.width, PIXEL_WORKGROUP.x), ceilDiv(t.height, PIXEL_WORKGROUP.y), t.channels];
}
