import { WgsrError } from '../errors.js';

const EXPLAIN: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
  ERR_FS_FILE_TOO_LARGE: 'the file is too large to read',
};

/** A file-system failure as one WgsrError('IO') line: "<what>: <reason>". */
export function ioError(e: unknown, what: string): WgsrError {
  const code = (e as { code?: string }).code;
  const reason = (code && EXPLAIN[code]) ?? (e instanceof Error ? e.message : String(e));
  return new WgsrError('IO', `${what}: ${reason}`, { cause: e });
}
