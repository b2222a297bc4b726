import { WgsrError } from '../errors.js';

/*
 * How evaluation files are paired, by base name (extension ignored, case-sensitive): the HR
 * image `0001.png` pairs with a file whose name without extension is
 *   0001        (same name)
 *   0001_out    (Real-ESRGAN's inference_realesrgan.py default suffix)
 *   0001x4      (DIV2K's LR naming; any whole number after the x)
 *   0001_x4
 * Exactly one candidate must match each HR image; otherwise a clear error names the file.
 */

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

/** The name without its last extension. */
export function stem(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

const SUFFIX = /^(|_out|_?x\d+)$/;

/** Whether `candidate` (a file name) is a partner of the HR file `hr` under the rule above. */
export function matchesHr(hr: string, candidate: string): boolean {
  const h = stem(hr);
  const c = stem(candidate);
  return c.startsWith(h) && SUFFIX.test(c.slice(h.length));
}

export interface Pair {
  hr: string;
  other: string;
}

/** Pairs every HR file name with exactly one of `candidates` (`what` names the other folder in errors). */
export function pairByName(hrNames: readonly string[], candidates: readonly string[], what: string): Pair[] {
  const missing: string[] = [];
  const pairs: Pair[] = [];
  for (const hr of hrNames) {
    const found = candidates.filter((c) => matchesHr(hr, c));
    if (found.length > 1) {
      throw new WgsrError('BAD_ARGUMENT', `${hr} matches several files in ${what}: ${found.join(', ')}; keep one`);
    }
    if (found.length === 0) missing.push(hr);
    else pairs.push({ hr, other: found[0]! });
  }
  if (missing.length) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, … (${missing.length} in all)` : '');
    throw new WgsrError(
      'BAD_ARGUMENT',
      `no partner in ${what} for ${shown}; name it like the HR file (NAME.png, NAME_out.png or NAMEx4.png)`,
    );
  }
  return pairs;
}
