/**
 * Real-ESRGAN's input padding (RealESRGANer.pre_process), one axis at a time: first `prePad`
 * pixels of reflect padding at the end (bottom/right), then reflect padding up to a multiple of
 * the network's size multiple (its "mod pad"). Both are cropped back after the network
 * (post_process). Instead of building the padded image we map every padded index to the source
 * index it copies, so tiles read straight from the original samples.
 */

/**
 * Index `i` of a reflect-padded axis of length `n` ('reflect' in PyTorch and numpy: the edge
 * sample is not repeated, ...3 2 1 | 0 1 2 3 | 2 1 0...). PyTorch refuses pads ≥ n; we fold
 * repeatedly as numpy does, and a 1-pixel axis reflects onto itself, so no size is refused.
 */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/** For each index of the padded axis, the source index it copies. Its length is the padded size. */
export function paddedAxis(n: number, prePad: number, multiple: number): Int32Array {
  const afterPrePad = n + prePad;
  const modPad = (multiple - (afterPrePad % multiple)) % multiple;
  const map = new Int32Array(afterPrePad + modPad);
  for (let j = 0; j < map.length; j++) {
    const inPrePadded = j < afterPrePad ? j : reflectIndex(j, afterPrePad);
    map[j] = inPrePadded < n ? inPrePadded : reflectIndex(inPrePadded, n);
  }
  return map;
}
