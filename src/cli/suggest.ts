import { editDistance } from '../edit-distance.js';

export { editDistance };

/**
 * The known spelling closest to a mistyped one, for "did you mean …?": optimal string alignment
 * distance (insertions, deletions, substitutions and swaps of neighbours each cost 1), accepted
 * up to 1 edit for short names and 2 for names of 7 letters or more, so unrelated options are
 * never suggested.
 */
export function closest(typed: string, known: readonly string[]): string | undefined {
  const limit = typed.length >= 9 ? 2 : 1; // "--" plus 7 letters
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const d = editDistance(typed, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
