/**
 * What `wgsr`'s exit status tells a script. Usage errors (a bad option, a refused plan) are
 * BAD_ARGUMENT WgsrErrors and exit 2 before anything is done; other WgsrErrors exit 1; a batch
 * where some images failed and some were written exits 3; a signal exits 128 + its number.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  partial: 3,
  /** An internal error: a bug to report (sysexits EX_SOFTWARE). */
  unexpected: 70,
  interrupted: 130,
} as const;
