import { accessSync, constants, readdirSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { WgsrError } from '../errors.js';
import { formatFromExtension, type ImageFormat } from '../io/index.js';
import { identityKey, nearestExisting, pathIdentity, probeFoldsCase, sameFolder, type PathIdentity } from '../io/path-identity.js';
import { kindOf, notRegularFile } from '../io/read-file.js';

/**
 * The whole batch, decided and checked before any model is loaded or pixel computed: every
 * input found, every output named, and everything that would fail or lose data refused up front.
 * An output may be no input of the batch (through any link, hard link or case spelling), no two
 * outputs may be one file, every format must be writable and every folder creatable.
 */

/** File name extensions of the images wgsr reads (any case). */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

export interface PlanOptions {
  input: string;
  /** -o: a file, or a folder (an existing one, or a path ending in a separator). Default: the input's folder. */
  output?: string;
  /** --ext: the output format's extension; default the input's own. */
  ext?: string;
  /** --suffix: added as `name_suffix.ext`; default "out" when writing into the input's folder, else none. */
  suffix?: string;
  recursive?: boolean;
  /** Whether a folder's file system folds case (default: probed). */
  foldsCase?: (dir: string) => boolean;
}

export interface Job {
  input: string;
  output: string;
  format: ImageFormat;
}

export interface Plan {
  jobs: Job[];
  /** Files in a batch folder that are not images wgsr reads, with why. */
  skipped: { path: string; why: string }[];
  /** Entries named like images that cannot be read (a FIFO, a device): failures of the batch. */
  unreadable: { path: string; why: string }[];
  /** Subfolders not searched (no --recursive). */
  subfolders: number;
  /** Output folders that do not exist yet: made once the plan is accepted. */
  folders: string[];
}

const bad = (message: string) => new WgsrError('BAD_ARGUMENT', message);

export function planBatch(options: PlanOptions): Plan {
  const foldsCase = options.foldsCase ?? probeFoldsCase;
  const input = options.input;
  let inputStats: Stats;
  try {
    inputStats = statSync(input);
  } catch {
    throw new WgsrError('IO', `${input}: no such file or folder`);
  }
  if (!inputStats.isFile() && !inputStats.isDirectory()) throw new WgsrError('IO', notRegularFile(input, input, inputStats));
  const ext = options.ext === undefined ? undefined : options.ext.replace(/^\./, '').toLowerCase();
  if (ext !== undefined) formatFromExtension(`x.${ext}`, '--ext');

  const plan: Plan = { jobs: [], skipped: [], unreadable: [], subfolders: 0, folders: [] };
  const name = (file: string, outDir: string, inDir: string) => {
    const suffix = options.suffix ?? (sameFolder(outDir, inDir) ? 'out' : '');
    const base = basename(file, extname(file));
    return `${base}${suffix ? `_${suffix}` : ''}.${ext ?? extname(file).slice(1).toLowerCase()}`;
  };

  if (inputStats.isFile()) {
    const output = options.output;
    const isFolder = output === undefined || /[\\/]$/.test(output) || isDirectory(output);
    const outDir = output === undefined ? dirname(input) : output;
    const target = isFolder ? join(outDir, name(input, outDir, dirname(input))) : output!;
    if (!isFolder && ext !== undefined && extname(target).slice(1).toLowerCase() !== ext) {
      throw bad(`--ext ${ext} and -o ${target} name different formats; give one of them`);
    }
    plan.jobs.push({ input, output: target, format: formatFromExtension(target) });
  } else {
    const outRoot = options.output ?? input;
    if (!isDirectory(outRoot) && exists(outRoot)) throw bad(`${input} is a folder, so the output must be a folder too; ${outRoot} is a file`);
    const visited = new Set<string>();
    const outReal = resolve(outRoot);
    const walk = (dir: string) => {
      const s = statSync(dir);
      const id = `${s.dev}:${s.ino}`;
      if (visited.has(id)) return; // a link back up the tree
      visited.add(id);
      for (const entry of readdirSync(dir).sort()) {
        const path = join(dir, entry);
        let stats: Stats;
        try {
          stats = statSync(path);
        } catch {
          plan.skipped.push({ path, why: 'a broken link' });
          continue;
        }
        if (stats.isDirectory()) {
          if (!options.recursive) plan.subfolders++;
          else if (resolve(path) !== outReal) walk(path);
          continue;
        }
        const isImageName = IMAGE_EXTENSIONS.has(extname(entry).toLowerCase());
        if (!isImageName) {
          plan.skipped.push({ path, why: stats.isFile() ? 'not a .png, .jpg, .jpeg or .webp file' : kindOf(stats) });
        } else if (!stats.isFile()) {
          plan.unreadable.push({ path, why: notRegularFile(path, path, stats) });
        } else {
          const outDir = join(outRoot, relative(input, dir));
          plan.jobs.push({ input: path, output: '', format: 'png' });
          const job = plan.jobs[plan.jobs.length - 1]!;
          job.output = join(outDir, name(path, outDir, dir));
          job.format = formatFromExtension(job.output);
        }
      }
    };
    walk(input);
    if (!plan.jobs.length && !plan.unreadable.length) {
      throw new WgsrError('IO', `${input}: no .png, .jpg, .jpeg or .webp files${plan.subfolders ? ` (${plan.subfolders} subfolders not searched: add --recursive)` : ''}`);
    }
  }
  checkCollisions(plan.jobs, foldsCase);
  plan.folders = checkFolders(plan.jobs);
  return plan;
}

/** Refuses an output that is an input of the batch, or that another output also names. */
function checkCollisions(jobs: Job[], foldsCase: (dir: string) => boolean): void {
  const inputs = jobs.map((job) => ({ job, id: pathIdentity(job.input, foldsCase) }));
  const inodes = new Map(inputs.map((i) => [i.id.inode, i.job.input]));
  const outputs = new Map<string, Job>();
  for (const job of jobs) {
    const out = pathIdentity(job.output, foldsCase);
    const key = identityKey(out);
    const over = inputs.find((i) => same(i.id, out)) ?? (out.inode !== undefined && inodes.has(out.inode) ? { job: { input: inodes.get(out.inode)! } } : undefined);
    if (over) {
      const from = over.job.input === job.input ? '' : ` (made from ${job.input})`;
      throw bad(`${job.output}${from} would overwrite the input ${over.job.input}; choose another output folder, --suffix or --ext (wgsr never overwrites an input)`);
    }
    const other = outputs.get(key);
    if (other) {
      throw bad(`${other.input} and ${job.input} would both be written to ${job.output}${out.folds ? ' (this file system ignores case)' : ''}; only one result would survive. Use --suffix, --ext or another output folder`);
    }
    outputs.set(key, job);
  }
}

/** Two identities are one file: same real folder and name (folded where the folder folds). */
function same(input: PathIdentity, output: PathIdentity): boolean {
  if (input.dir !== output.dir) return false;
  return output.folds ? input.name.toLowerCase() === output.name.toLowerCase() : input.name === output.name;
}

/**
 * Every output folder must be creatable (its nearest existing ancestor a folder we may write
 * in), and no output may be an existing folder. Returns the folders to create.
 */
function checkFolders(jobs: Job[]): string[] {
  const missing = new Set<string>();
  const checked = new Set<string>();
  for (const job of jobs) {
    if (isDirectory(job.output)) throw bad(`${job.output} is a folder; give an output file name, or a folder for the results (-o ${job.output}${sep})`);
    const dir = dirname(resolve(job.output));
    if (checked.has(dir)) continue;
    checked.add(dir);
    const existing = nearestExisting(dir);
    if (existing !== dir) missing.add(dir);
    try {
      accessSync(existing, constants.W_OK);
    } catch {
      throw new WgsrError('IO', `cannot write ${job.output}: permission denied in ${existing}`);
    }
  }
  // Also a path through a regular file ("a.png/x.png"): nearestExisting stops above it.
  for (const job of jobs) {
    let at = dirname(resolve(job.output));
    while (!exists(at)) at = dirname(at);
    if (!isDirectory(at)) throw new WgsrError('IO', `cannot write ${job.output}: ${at} is a file, not a folder`);
  }
  return [...missing];
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
