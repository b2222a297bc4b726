import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { checkKernelsOption } from '../engine/kernels.js';
import { WgsrError } from '../errors.js';
import { runTraining, type LogEntry, type TrainProgress } from '../runtime/train-run/run.js';
import { numberArg, parseCommandArgs, stringArg, type Command, type CommandIO } from './command.js';
import { EXIT } from './exit-codes.js';
import { onSignals } from './signals.js';
import { loadModelByName } from '../runtime/models/by-name.js';
import { downloadProgress } from './download-progress.js';
import { defaultWorkers, givenSettings, newRunSettings, TRAIN_OPTIONS, TRAIN_USAGE, whole } from './train-options.js';


export const trainCommand: Command = {
  name: 'train',
  summary: 'train or fine-tune a network on a folder of images (validation, checkpoints, resume)',
  usage: TRAIN_USAGE,
  async run(argv, io) {
    const { values: v, positionals } = parseCommandArgs('train', argv, TRAIN_OPTIONS);
    if (positionals.length) throw new WgsrError('BAD_ARGUMENT', `unexpected argument "${positionals[0]}" (see wgsr train --help)`);
    const resumeDir = stringArg(v, 'resume');
    const out = stringArg(v, 'output');
    if (resumeDir !== undefined && out !== undefined && resolve(out) !== resolve(resumeDir)) throw new WgsrError('BAD_ARGUMENT', `--resume ${resumeDir} goes on in that directory; leave -o out (or give the same one)`);
    const dir = resumeDir ?? out;
    if (!dir) throw new WgsrError('BAD_ARGUMENT', 'give the run directory with -o <dir> (or --resume <dir>)');
    const name = stringArg(v, 'model-name');
    if (name !== undefined) {
      if (stringArg(v, 'model') !== undefined) throw new WgsrError('BAD_ARGUMENT', 'give either -m <model file> or -n <model name>, not both');
      v.model = (await loadModelByName(name, { cacheDir: stringArg(v, 'model-dir'), ...downloadProgress(io, false) })).path;
    }
    const { settings: given, sizes } = givenSettings(v, resumeDir !== undefined);
    if (resumeDir !== undefined) {
      // The run's network (its sizes, res_scale, weights) is in its state.bin.
      const sizeFlags = Object.entries(sizes).filter(([, x]) => x !== undefined).map(([k]) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
      if (sizeFlags.length || (given.model && 'arch' in given.model)) {
        throw new WgsrError('BAD_ARGUMENT', `--resume ${resumeDir} goes on with the run's own network; leave ${[...(given.model && 'arch' in given.model ? ['--arch'] : []), ...sizeFlags].join(', ')} out`);
      }
    }
    const settings = resumeDir !== undefined ? given : newRunSettings(given, sizes);
    const every = (name: string) => numberArg(stringArg(v, name), `--${name}`, whole(1), 'a whole number ≥ 1');
    const maxMemoryMB = numberArg(stringArg(v, 'max-memory'), '--max-memory', (n) => n >= 16, 'at least 16 (MB)');
    const kernels = checkKernelsOption(stringArg(v, 'kernels'));
    const degrade = settings.degrade;
    const workers = numberArg(stringArg(v, 'workers'), '--workers', whole(0), 'a whole number ≥ 0') ?? defaultWorkers(degrade, availableParallelism());
    const json = v.json === true;
    const controller = new AbortController();
    const signals = onSignals(() => controller.abort());
    const show = progressLine(io, json);
    try {
      const result = await runTraining(
        {
          dir: resolve(dir),
          resume: resumeDir !== undefined,
          settings,
          sizes,
          logEvery: every('log-every'),
          valEvery: every('val-every'),
          saveEvery: every('save-every'),
          workers,
          maxMemory: maxMemoryMB === undefined ? undefined : maxMemoryMB * 2 ** 20,
          kernels,
        },
        {
          signal: controller.signal,
          onNote: (line) => io.stderr(`wgsr: ${line}`),
          onProgress: json ? undefined : show,
          onLog: (e) => {
            if (json) io.stdout(JSON.stringify(e));
            else if ('val' in e) {
              show(undefined);
              io.stderr(validationLine(e));
            }
          },
        },
      );
      show(undefined);
      if (result.interrupted) {
        io.stderr(`wgsr train: stopped at step ${result.step}; checkpoint saved in ${dir} (go on with wgsr train --resume ${dir})`);
        return signals.received() ?? EXIT.interrupted;
      }
      const bestOf = { clean: '', degraded: ' on degraded LR', mean: ' on the mean of clean and degraded LR' }[result.bestBy];
      const last = result.lastVal;
      const degraded = last?.degraded && result.bicubic?.degraded ? `, degraded LR ${last.degraded.psnr.toFixed(2)} dB (bicubic ${result.bicubic.degraded.psnr.toFixed(2)} dB)` : '';
      const val = last ? `; validation PSNR-Y ${last.psnr.toFixed(2)} dB (bicubic ${result.bicubic!.psnr.toFixed(2)} dB)${degraded}, best${bestOf} ${result.best?.psnr.toFixed(2)} at step ${result.best?.step}` : '';
      if (!json) io.stdout(`trained ${result.step} steps in ${result.seconds.toFixed(1)} s${val} -> ${dir}`);
      return 0;
    } finally {
      signals.dispose();
    }
  },
};

function validationLine(e: Extract<LogEntry, { val: unknown }>): string {
  const d = e.val.degraded && e.bicubic.degraded ? `; degraded LR ${e.val.degraded.psnr.toFixed(2)} / ${e.val.degraded.ssim.toFixed(4)} (bicubic ${e.bicubic.degraded.psnr.toFixed(2)} / ${e.bicubic.degraded.ssim.toFixed(4)})` : '';
  return `step ${e.step}: validation PSNR-Y ${e.val.psnr.toFixed(2)} dB, SSIM-Y ${e.val.ssim.toFixed(4)} (bicubic ${e.bicubic.psnr.toFixed(2)} / ${e.bicubic.ssim.toFixed(4)})${d}${e.best ? '  best' : ''}`;
}

/** Step, smoothed loss, lr, it/s and ETA on stderr: redrawn on a terminal, a line every 10 s otherwise. */
function progressLine(io: CommandIO, quiet: boolean): (p: TrainProgress | undefined) => void {
  let last = 0;
  let shown = false;
  return (p) => {
    if (quiet) return;
    if (!p) {
      if (shown && io.interactive) process.stderr.write('\n');
      shown = false;
      return;
    }
    const now = Date.now();
    if (now - last < (io.interactive ? 200 : 10000) && p.step !== p.total) return;
    last = now;
    shown = true;
    const text = `step ${p.step}/${p.total}  loss ${p.smoothLoss.toExponential(3)}  lr ${p.lr.toExponential(2)}  ${p.its.toFixed(2)} it/s  ETA ${formatSeconds(p.etaSeconds)}`;
    if (io.interactive) process.stderr.write(`\r${text}\x1b[K`);
    else io.stderr(text);
  };
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 90) return `${s.toFixed(0)}s`;
  if (s < 5400) return `${(s / 60).toFixed(1)}min`;
  return `${(s / 3600).toFixed(1)}h`;
}
