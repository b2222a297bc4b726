import { WgsrError } from '../errors.js';

/**
 * Learning-rate schedules as a function of the step count, PyTorch's formulas in closed form
 * (so a resumed run needs no schedule state): step t (0-based, the t-th optimizer.step()) uses
 * the rate a loop of `optimizer.step(); scheduler.step()` has before its t-th step.
 * - multistep (MultiStepLR): base · γ^(number of milestones ≤ t).
 * - cosine (CosineAnnealingLR, T_max = the run's iterations): η_min + (base − η_min)(1 + cos(πt/T))/2.
 * - constant.
 */
export type Schedule = { kind: 'constant' } | { kind: 'multistep'; milestones: readonly number[]; gamma: number } | { kind: 'cosine'; etaMin: number };

export function learningRate(schedule: Schedule, base: number, step: number, totalSteps: number): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'multistep': {
      const passed = schedule.milestones.filter((m) => m <= step).length;
      return base * schedule.gamma ** passed;
    }
    case 'cosine':
      return schedule.etaMin + ((base - schedule.etaMin) * (1 + Math.cos((Math.PI * step) / totalSteps))) / 2;
  }
}

/** Parses `multistep:200000,400000:0.5`, `cosine:1e-7` (η_min) or `constant`. */
export function parseSchedule(text: string): Schedule {
  const bad = (why: string) => new WgsrError('BAD_ARGUMENT', `--schedule ${text}: ${why} (expected multistep:M1,M2,…:GAMMA, cosine:ETA_MIN or constant)`);
  const [kind, ...rest] = text.split(':');
  if (kind === 'constant' && rest.length === 0) return { kind: 'constant' };
  if (kind === 'cosine') {
    const etaMin = rest.length === 0 ? 0 : Number(rest[0]);
    if (rest.length > 1 || !Number.isFinite(etaMin) || etaMin < 0 || rest[0]?.trim() === '') throw bad('η_min must be one number ≥ 0');
    return { kind: 'cosine', etaMin };
  }
  if (kind === 'multistep') {
    if (rest.length !== 2) throw bad('give the milestones and the factor');
    const milestones = rest[0]!.split(',').map(Number);
    if (!milestones.every((m) => Number.isInteger(m) && m > 0)) throw bad('milestones must be whole numbers > 0');
    if (milestones.some((m, i) => i > 0 && m <= milestones[i - 1]!)) throw bad('milestones must increase');
    const gamma = Number(rest[1]);
    if (!(gamma > 0 && gamma <= 1) || rest[1]!.trim() === '') throw bad('the factor must be in (0, 1]');
    return { kind: 'multistep', milestones, gamma };
  }
  throw bad(`unknown schedule "${kind}"`);
}

export function scheduleText(s: Schedule): string {
  if (s.kind === 'constant') return 'constant';
  if (s.kind === 'cosine') return `cosine:${s.etaMin}`;
  return `multistep:${s.milestones.join(',')}:${s.gamma}`;
}
