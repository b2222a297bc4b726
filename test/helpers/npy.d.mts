export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

/** Reads a little-endian float32 C-order .npy file (what the fixtures use). */
export function readNpy(path: string): NpyArray;
