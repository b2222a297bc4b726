import { expect } from 'vitest';
import { WgsrError } from '../../src/errors.js';

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
