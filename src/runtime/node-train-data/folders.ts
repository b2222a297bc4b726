import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { WgsrError } from '../../errors.js';
import { pairByName } from '../../eval/pairing.js';
import { ioError } from '../../io/fs-errors.js';

/**
 * The files of a training set. One flat folder of HR images, or two folders paired by name as
 * `wgsr eval` pairs them: NAME.png ↔ NAME.*, NAME_out.*, NAMEx4.* or NAME_x4.* (DIV2K's
 * DIV2K_train_HR/0001.png ↔ DIV2K_train_LR_bicubic/X4/0001x4.png is the last-but-one).
 * Subfolders and hidden files are not read; names are sorted, so the order (and with it the
 * epoch shuffles of a seed) does not depend on the file system.
 */
export const TRAINING_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'] as const;

export interface TrainingFile {
  /** The HR file's name, for messages. */
  name: string;
  hrPath: string;
  lrPath?: string;
}

export function listImageFiles(dir: string, what: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new WgsrError('BAD_ARGUMENT', `${what} ${dir} is a file; give a folder of images`);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof WgsrError) throw e;
    throw ioError(e, `${what} ${dir}`);
  }
  const images = names.filter((n) => !n.startsWith('.') && (TRAINING_EXTENSIONS as readonly string[]).includes(extname(n).toLowerCase())).sort();
  const files = images.filter((n) => statSync(join(dir, n)).isFile());
  if (!files.length) throw new WgsrError('BAD_ARGUMENT', `${what} ${dir}: no .png, .jpg, .jpeg or .webp images in it`);
  return files;
}

export function trainingFiles(hrDir: string, lrDir?: string): TrainingFile[] {
  const hr = listImageFiles(hrDir, 'the HR folder');
  if (!lrDir) return hr.map((name) => ({ name, hrPath: join(hrDir, name) }));
  const lr = listImageFiles(lrDir, 'the LR folder');
  return pairByName(hr, lr, `the LR folder ${lrDir}`).map((p) => ({ name: p.hr, hrPath: join(hrDir, p.hr), lrPath: join(lrDir, p.other) }));
}
