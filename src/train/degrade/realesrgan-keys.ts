import { WgsrError } from '../../errors.js';
import { BLUR_KERNEL_TYPES, REALESRGAN_DEFAULTS, type BlurOptions, type DegradationOptions, type NoiseOptions, type Range, type ResizeOptions, type StageOptions } from './params.js';

/**
 * Degradation settings under the names Real-ESRGAN's training YAML gives them
 * (options/train_realesrgan_x4plus.yml: the dataset's blur keys and the model's resize, noise and
 * JPEG keys, `…2` for the second stage), so a BasicSR user can bring the values they tuned. Each
 * key given replaces that one default; the rest stay Real-ESRGAN's.
 */

/** What a key's value must be (each kind has its own check and message). */
type Kind = 'prob' | 'sigmaRange' | 'positiveRange' | 'resizeRange' | 'jpegRange' | 'resizeProb' | 'kernelList' | 'kernelProb';

type StageKey = { stage: 'first' | 'second' } & (
  | { part: 'blur'; field: keyof BlurOptions }
  | { part: 'resize'; field: keyof ResizeOptions }
  | { part: 'noise'; field: keyof NoiseOptions }
  | { part: 'jpeg' }
);

interface KeySpec {
  kind: Kind;
  /** Where the value goes: a field of a stage, or a top-level probability. */
  to: StageKey | { top: 'secondBlurProb' | 'finalSincProb' };
}

function stageKeys(suffix: '' | '2', stage: 'first' | 'second'): Record<string, KeySpec> {
  return {
    [`kernel_list${suffix}`]: { kind: 'kernelList', to: { stage, part: 'blur', field: 'kernelList' } },
    [`kernel_prob${suffix}`]: { kind: 'kernelProb', to: { stage, part: 'blur', field: 'kernelProb' } },
    [`sinc_prob${suffix}`]: { kind: 'prob', to: { stage, part: 'blur', field: 'sincProb' } },
    [`blur_sigma${suffix}`]: { kind: 'positiveRange', to: { stage, part: 'blur', field: 'sigma' } },
    [`betag_range${suffix}`]: { kind: 'positiveRange', to: { stage, part: 'blur', field: 'betaG' } },
    [`betap_range${suffix}`]: { kind: 'positiveRange', to: { stage, part: 'blur', field: 'betaP' } },
    [`resize_prob${suffix}`]: { kind: 'resizeProb', to: { stage, part: 'resize', field: 'prob' } },
    [`resize_range${suffix}`]: { kind: 'resizeRange', to: { stage, part: 'resize', field: 'range' } },
    [`gaussian_noise_prob${suffix}`]: { kind: 'prob', to: { stage, part: 'noise', field: 'gaussianProb' } },
    [`noise_range${suffix}`]: { kind: 'sigmaRange', to: { stage, part: 'noise', field: 'sigma' } },
    [`poisson_scale_range${suffix}`]: { kind: 'sigmaRange', to: { stage, part: 'noise', field: 'poissonScale' } },
    [`gray_noise_prob${suffix}`]: { kind: 'prob', to: { stage, part: 'noise', field: 'grayProb' } },
    [`jpeg_range${suffix}`]: { kind: 'jpegRange', to: { stage, part: 'jpeg' } },
  };
}

const KEYS: Record<string, KeySpec> = {
  ...stageKeys('', 'first'),
  ...stageKeys('2', 'second'),
  second_blur_prob: { kind: 'prob', to: { top: 'secondBlurProb' } },
  final_sinc_prob: { kind: 'prob', to: { top: 'finalSincProb' } },
};

/** The keys understood, in Real-ESRGAN's spelling. */
export const REALESRGAN_OPTION_KEYS: readonly string[] = Object.keys(KEYS);

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Weights a random choice can draw by (Rng.choose): numbers ≥ 0 with a positive sum. */
const isWeights = (x: unknown): x is number[] => Array.isArray(x) && x.every((p) => isNumber(p) && p >= 0) && x.reduce((a: number, b: number) => a + b, 0) > 0;

function checkValue(key: string, kind: Kind, value: unknown, where: string): unknown {
  const bad = (what: string): never => {
    throw new WgsrError('BAD_ARGUMENT', `${where}: ${key} must be ${what}, got ${JSON.stringify(value)}`);
  };
  const range = (lo: number, hi: number, what: string, holds?: number): Range => {
    if (!Array.isArray(value) || value.length !== 2 || !value.every(isNumber) || value[0] > value[1] || value[0] < lo || value[1] > hi) return bad(what);
    if (holds !== undefined && !(value[0] <= holds && holds <= value[1])) return bad(what);
    const [low, high] = value as [number, number];
    return [low, high];
  };
  switch (kind) {
    case 'prob':
      if (!isNumber(value) || value < 0 || value > 1) bad('a probability in [0, 1]');
      return value;
    case 'positiveRange':
      return range(Number.MIN_VALUE, Infinity, '[low, high] with 0 < low ≤ high');
    case 'resizeRange':
      // Scaling down draws from [low, 1), up from [1, high): the range must hold 1.
      return range(Number.MIN_VALUE, Infinity, '[low, high] with 0 < low ≤ 1 ≤ high', 1);
    case 'sigmaRange':
      return range(0, Infinity, '[low, high] with 0 ≤ low ≤ high');
    case 'jpegRange':
      if (Array.isArray(value) && !value.every((q) => Number.isInteger(q))) bad('[low, high] whole JPEG qualities in 1..100');
      return range(1, 100, '[low, high] whole JPEG qualities in 1..100');
    case 'resizeProb':
      if (!isWeights(value) || value.length !== 3) bad('[up, down, keep]: three probabilities ≥ 0, not all 0');
      return value;
    case 'kernelList':
      if (!Array.isArray(value) || value.length === 0 || !value.every((k) => (BLUR_KERNEL_TYPES as readonly unknown[]).includes(k))) bad(`a list of ${BLUR_KERNEL_TYPES.join(', ')}`);
      return value;
    case 'kernelProb':
      if (!isWeights(value)) bad('a list of weights ≥ 0, not all 0');
      return value;
  }
}

/**
 * Checks an object of Real-ESRGAN keys (unknown keys and bad values are refused, naming `where`)
 * and returns it with its keys sorted, so two equal settings compare equal as JSON.
 */
export function checkRealEsrganKeys(given: unknown, where: string): Record<string, unknown> {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new WgsrError('BAD_ARGUMENT', `${where}: expected a JSON object of Real-ESRGAN's degradation settings, e.g. {"second_blur_prob": 0.4, "noise_range2": [1, 15]}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given).sort()) {
    const spec = KEYS[key];
    if (!spec) throw new WgsrError('BAD_ARGUMENT', `${where}: unknown setting "${key}"; the settings are Real-ESRGAN's: ${REALESRGAN_OPTION_KEYS.join(', ')}`);
    out[key] = checkValue(key, spec.kind, (given as Record<string, unknown>)[key], where);
  }
  for (const suffix of ['', '2']) {
    const list = out[`kernel_list${suffix}`] as unknown[] | undefined;
    const prob = out[`kernel_prob${suffix}`] as unknown[] | undefined;
    // Each list pairs with its weights: given one, the other must have its length.
    const defaults = suffix === '' ? REALESRGAN_DEFAULTS.first.blur : REALESRGAN_DEFAULTS.second.blur;
    const n = (list ?? defaults.kernelList).length;
    const m = (prob ?? defaults.kernelProb).length;
    if (n !== m) throw new WgsrError('BAD_ARGUMENT', `${where}: kernel_list${suffix} has ${n} kernels but kernel_prob${suffix} ${m} weights; give both, of one length`);
  }
  return out;
}

/** Real-ESRGAN's defaults with the given keys (checked by checkRealEsrganKeys) in their place. */
export function degradationFromRealEsrganKeys(given: Record<string, unknown>, where: string): DegradationOptions {
  const keys = checkRealEsrganKeys(given, where);
  const stage = (s: StageOptions): StageOptions => ({ blur: { ...s.blur }, resize: { ...s.resize }, noise: { ...s.noise }, jpeg: s.jpeg });
  const out = { ...REALESRGAN_DEFAULTS, first: stage(REALESRGAN_DEFAULTS.first), second: stage(REALESRGAN_DEFAULTS.second) };
  for (const [key, value] of Object.entries(keys)) {
    const to = KEYS[key]!.to;
    if ('top' in to) out[to.top] = value as number;
    else if (to.part === 'jpeg') out[to.stage].jpeg = value as Range;
    else (out[to.stage][to.part] as unknown as Record<string, unknown>)[to.field] = value;
  }
  return out;
}
