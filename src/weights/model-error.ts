import { WgsrError, type WgsrErrorCode } from '../errors.js';

/** A WgsrError about a model file: the message starts with the file name so the user knows which. */
export function modelError(code: WgsrErrorCode, source: string, message: string): WgsrError {
  return new WgsrError(code, `${source}: ${message}`);
}
