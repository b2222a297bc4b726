import { expect } from 'vitest';
import { isWgsrError, WgsrError } from '../../src/errors.js';

/** Runs `fn`, which must throw a WgsrError, and returns that error for further checks. */
export function error(fn: () => unknown): WgsrError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WgsrError);
    return e as WgsrError;
  }
  throw new Error('expected a WgsrError');
}

/** Awaits `p`, which must reject with a WgsrError, and returns its code and message. */
export async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isWgsrError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a rejection');
}
