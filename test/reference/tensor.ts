/** A CPU tensor [C, H, W] (batch 1, NCHW) for the reference implementations. */
export interface Tensor3 {
  channels: number;
  height: number;
  width: number;
  data: Float32Array;
}

export function tensor3(channels: number, height: number, width: number, data?: Float32Array): Tensor3 {
  const n = channels * height * width;
  if (data && data.length !== n) throw new Error(`${data.length} values for [${channels}, ${height}, ${width}]`);
  return { channels, height, width, data: data ?? new Float32Array(n) };
}

export const at = (t: Tensor3, c: number, y: number, x: number) => t.data[(c * t.height + y) * t.width + x]!;
