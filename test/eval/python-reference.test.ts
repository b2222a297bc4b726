import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imresize, imresizeFloat, scorePair } from '../../src/eval/index.js';
import type { Image } from '../../src/image/types.js';
import { noisyPair } from './direct.js';

/*
 * Cross-checks against the project's numpy implementations in training/ (matlab_imresize.py,
 * metrics.py), written independently for the training scripts. Runs only where python3 with
 * numpy and those files exist; CI without Python skips it.
 */
const TRAINING = resolve(__dirname, '../../training');
const HAVE_SCRIPTS = existsSync(join(TRAINING, 'matlab_imresize.py')) && existsSync(join(TRAINING, 'metrics.py'));
const HAVE_NUMPY = HAVE_SCRIPTS && spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

// BasicSR's to_y_channel verbatim in numpy (float32 /255, float64 dot, float32 /255 cast, ×255),
// then calculate_psnr / calculate_ssim on it via metrics.py's valid filter.
const SCRIPT = `
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from matlab_imresize import imresize, to_uint8
import metrics
w, h = int(sys.argv[3]), int(sys.argv[4])
raw = np.fromfile(sys.argv[2], dtype=np.uint8)
a = raw[:w*h*3].reshape(h, w, 3); b = raw[w*h*3:].reshape(h, w, 3)
def y_basicsr(rgb):
    img = rgb[..., ::-1].astype(np.float32) / 255.
    y = np.dot(img, [24.966, 128.553, 65.481]) + 16.0
    y = (y / 255.).astype(np.float32)
    return (y * 255.).astype(np.float64)
def crop(p, c): return p[c:-c, c:-c] if c else p
out = {'resize': {}, 'scores': {}}
for s in (2, 3, 4):
    f = imresize(a.astype(np.float64), 1.0 / s)
    lr = to_uint8(f)
    up = imresize(lr.astype(np.float64), float(s))
    out['resize'][str(s)] = {'down': f.ravel().tolist(), 'down_u8': lr.ravel().tolist(), 'up': up.ravel().tolist()}
for c in (0, 2, 4):
    ya, yb = crop(y_basicsr(a), c), crop(y_basicsr(b), c)
    mse = np.mean((ya - yb) ** 2)
    k = metrics._gaussian_window_1d()
    mu1, mu2 = metrics._filter_valid(ya, k), metrics._filter_valid(yb, k)
    s1 = metrics._filter_valid(ya * ya, k) - mu1 * mu1
    s2 = metrics._filter_valid(yb * yb, k) - mu2 * mu2
    s12 = metrics._filter_valid(ya * yb, k) - mu1 * mu2
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 * mu1 + mu2 * mu2 + c1) * (s1 + s2 + c2))
    out['scores'][str(c)] = {'psnr': float(10 * np.log10(255.0 ** 2 / mse)), 'ssim': float(m.mean()),
                             'metrics_py': [metrics.psnr_y(a, b, c), metrics.ssim_y(a, b, c)]}
print(json.dumps(out))
`;

const work = mkdtempSync(join(tmpdir(), 'wgsr-eval-py-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.runIf(HAVE_NUMPY)('against training/*.py (numpy)', () => {
  const W = 37;
  const H = 29;
  const { clean, noisy } = noisyPair(W, H, 25, 7);
  const raw = join(work, 'pair.u8');
  writeFileSync(raw, Buffer.concat([Buffer.from(noisy), Buffer.from(clean)]));
  const run = () => {
    const r = spawnSync('python3', ['-c', SCRIPT, TRAINING, raw, String(W), String(H)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as {
      resize: Record<string, { down: number[]; down_u8: number[]; up: number[] }>;
      scores: Record<string, { psnr: number; ssim: number; metrics_py: [number, number] }>;
    };
  };
  const py = HAVE_NUMPY ? run() : undefined;
  const hr: Image = { width: W, height: H, channels: 3, bitDepth: 8, data: noisy };

  for (const s of [2, 3, 4]) {
    it(`imresize 1/${s} and ×${s} match matlab_imresize.py (float |Δ| ≤ 1e-10, uint8 identical)`, () => {
      const ref = py!.resize[String(s)]!;
      const down = imresizeFloat({ width: W, height: H, channels: 3, data: Float64Array.from(noisy) }, 1 / s);
      let maxDown = 0;
      down.data.forEach((v, i) => (maxDown = Math.max(maxDown, Math.abs(v - ref.down[i]!))));
      expect(maxDown).toBeLessThanOrEqual(1e-10);
      const lr = imresize(hr, 1 / s);
      expect(Array.from(lr.data)).toEqual(ref.down_u8);
      const up = imresizeFloat({ width: lr.width, height: lr.height, channels: 3, data: Float64Array.from(lr.data) }, s);
      let maxUp = 0;
      up.data.forEach((v, i) => (maxUp = Math.max(maxUp, Math.abs(v - ref.up[i]!))));
      expect(maxUp).toBeLessThanOrEqual(1e-10);
    });
  }

  for (const c of [0, 2, 4]) {
    it(`PSNR/SSIM with crop ${c} match BasicSR's to_y_channel in numpy (|Δ| ≤ 1e-9) and metrics.py (|Δ| ≤ 1e-4 dB / 1e-6)`, () => {
      const ref = py!.scores[String(c)]!;
      const got = scorePair(hr, { ...hr, data: clean }, c);
      expect(Math.abs(got.psnr - ref.psnr)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(got.ssim - ref.ssim)).toBeLessThanOrEqual(1e-9);
      // metrics.py rounds Y through float32 arithmetic of its own (not BasicSR's exact steps),
      // so it agrees only to float32 precision of Y.
      expect(Math.abs(got.psnr - ref.metrics_py[0])).toBeLessThanOrEqual(1e-4);
      expect(Math.abs(got.ssim - ref.metrics_py[1])).toBeLessThanOrEqual(1e-6);
    });
  }
});
