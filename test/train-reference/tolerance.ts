import type { Tolerance } from './fixtures.js';

/**
 * The op fixtures' tolerance: float64 reference vs PyTorch's float64 result stored as float32,
 * computed from inputs that were float64 in PyTorch and are float32 here. Both roundings are
 * 2^-24 ≈ 6e-8 relative, so 1e-6 (of each value, plus of the array's largest for sums that
 * cancel) sits ~16× above them; any real slip (a wrong index, sign or factor) is O(1).
 */
export const OP_TOLERANCE: Tolerance = { rtol: 1e-6, ofMax: 1e-6 };
