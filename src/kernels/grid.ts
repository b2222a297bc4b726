import { ceilDiv } from './validate.js';

/**
 * The dispatch shape of the per-pixel kernels: one invocation per output element, x and y
 * over the output's width and height, z over its channels. No index is ever divided back into
 * coordinates (integer division is slow on CPU backends), and 16 lanes along x read
 * consecutive addresses.
 */
export const PIXEL_WORKGROUP = { x: 16, y: 4 } as const;

export const PIXEL_ENTRY = `@compute @workgroup_size(${PIXEL_WORKGROUP.x}, ${PIXEL_WORKGROUP.y}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u)`;

export function pixelGrid(t: { channels: number; height: number; width: number }): [number, number, number] {
  return [ceilDiv(t.width, PIXEL_WORKGROUP.x), ceilDiv(t.height, PIXEL_WORKGROUP.y), t.channels];
}
