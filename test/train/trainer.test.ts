import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isWgsrError } from '../../src/errors.js';
import { createTrainer, type Trainer, type TrainerOptions } from '../../src/trainer.js';
import { loadWeights } from '../../src/weights/load.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { testDevice } from '../helpers/gpu.js';
import { readNpy } from '../helpers/npy.js';
import { TRAIN_FIXTURES } from '../train-reference/fixtures.js';

/** The trainer's library API on the bundled SRVGG and SRGAN cases: saving, resuming, errors. */
const SRVGG = resolve(TRAIN_FIXTURES, 'models/srvgg_x4_train');
const SRGAN = resolve(TRAIN_FIXTURES, 'models/srgan_x4_train');

function batches(dir: string) {
  const lr = readNpy(resolve(dir, 'lr.npy'));
  const hr = readNpy(resolve(dir, 'hr.npy'));
  const at = (a: typeof lr, s: number) => {
    const [, n, c, h, w] = a.shape as [number, number, number, number, number];
    return { shape: [n, c, h, w] as const, data: a.data.slice(s * n * c * h * w, (s + 1) * n * c * h * w) };
  };
  return (s: number) => ({ lr: at(lr, s), hr: at(hr, s) });
}

async function trainer(dir: string, extra: Partial<TrainerOptions> = {}, bytes = readFileSync(resolve(dir, 'init.pth'))): Promise<Trainer> {
  const { device } = await testDevice();
  const loss = dir === SRGAN ? 'mse' : 'l1';
  return createTrainer(bytes, { device, loss, optimizer: { name: 'adam', lr: 1e-3, betas: [0.9, 0.99] }, ...extra });
}

async function expectError(work: Promise<unknown> | (() => unknown), code: string, message: RegExp): Promise<void> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (e) {
    expect(isWgsrError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error(`expected a ${code} error`);
}

describe('createTrainer', () => {
  it('saves .pth in the input layout (wrapper key, key order) and safetensors; our loader reads back the state dict', async () => {
    const tr = await trainer(SRGAN);
    const batch = batches(SRGAN);
    try {
      for (let s = 0; s < 2; s++) await tr.step(batch(s).lr, batch(s).hr);
      const sd = await tr.stateDict();
      const original = loadWeights(readFileSync(resolve(SRGAN, 'init.pth')));
      expect(Object.keys(sd)).toEqual([...original.stateDict.keys()]);
      expect(sd['blocks.0.bn1.num_batches_tracked']!.data[0]).toBe(original.stateDict.get('blocks.0.bn1.num_batches_tracked')!.data[0]! + 2);
      for (const format of ['pth', 'safetensors'] as const) {
        const back = loadWeights(await tr.save(format));
        expect(back.wrapperKey).toBe(format === 'pth' ? original.wrapperKey : undefined);
        expect([...back.stateDict.keys()]).toEqual(Object.keys(sd));
        for (const [k, t] of back.stateDict) {
          expect(t.shape, k).toEqual(sd[k]!.shape);
          expect(t.data, k).toEqual(sd[k]!.data);
          expect(t.dtype, k).toBe(k.endsWith('num_batches_tracked') ? 'int64' : 'float32');
        }
      }
      // Training moved the weights; a frozen key would not have.
      expect(sd['upsample.2.weight']!.data).not.toEqual(original.stateDict.get('upsample.2.weight')!.data);
    } finally {
      tr.destroy();
    }
  }, 60_000);

  it('resumes: saved weights + saveState() continue exactly as an uninterrupted run (whose steps were started at once)', async () => {
    const batch = batches(SRVGG);
    const straight = await trainer(SRVGG);
    const first = await trainer(SRVGG);
    try {
      // Started together, the steps still run one after the other, in order.
      const want = await Promise.all([0, 1, 2, 3, 4].map((s) => straight.step(batch(s).lr, batch(s).hr)));
      for (let s = 0; s < 3; s++) expect(await first.step(batch(s).lr, batch(s).hr)).toBe(want[s]);
      const model = await first.save('pth');
      const state = await first.saveState();
      const second = await trainer(SRVGG, { resume: state }, Buffer.from(model));
      try {
        expect(second.steps).toBe(3);
        for (let s = 3; s < 5; s++) expect(await second.step(batch(s).lr, batch(s).hr)).toBe(want[s]);
        const a = await straight.stateDict();
        const b = await second.stateDict();
        for (const k of Object.keys(a)) expect(b[k]!.data, k).toEqual(a[k]!.data);
      } finally {
        second.destroy();
      }
      await expectError(trainer(SRVGG, { resume: state, freeze: ['body.0.'] }), 'BAD_ARGUMENT', /state for tensors this run does not train/);
      await expectError(trainer(SRVGG, { resume: new Uint8Array([1, 2, 3]) }), 'BAD_ARGUMENT', /not an optimizer state saved by saveState/);
    } finally {
      straight.destroy();
      first.destroy();
    }
  }, 60_000);

  it('keeps a moving average of the weights (ema): BasicSR formula after every step, training untouched, frozen kept, resumed exactly', async () => {
    const batch = batches(SRVGG);
    const decay = 0.9;
    const plain = await trainer(SRVGG);
    const averaged = await trainer(SRVGG, { ema: decay, freeze: ['body.0.'] });
    const frozenToo = await trainer(SRVGG, { freeze: ['body.0.'] });
    try {
      // avg ← decay·avg + (1 − decay)·p after each step, from the initial weights; float64 here.
      const start = await averaged.stateDict('trained');
      const want = new Map(Object.entries(start).map(([k, t]) => [k, Float64Array.from(t.data)]));
      for (let s = 0; s < 4; s++) {
        const loss = await averaged.step(batch(s).lr, batch(s).hr);
        expect(loss).toBe(await frozenToo.step(batch(s).lr, batch(s).hr));
        const trained = await averaged.stateDict('trained');
        for (const k of averaged.trainable) want.get(k)!.forEach((v, i, a) => (a[i] = decay * v + (1 - decay) * trained[k]!.data[i]!));
      }
      // Keeping the average changes nothing in training itself, to the bit.
      const [a, b] = [await averaged.stateDict('trained'), await frozenToo.stateDict('trained')];
      for (const k of Object.keys(a)) expect(a[k]!.data, k).toEqual(b[k]!.data);
      const avg = await averaged.stateDict('ema');
      let worst = 0;
      for (const k of averaged.trainable) {
        const scale = Math.max(...want.get(k)!.map(Math.abs));
        want.get(k)!.forEach((v, i) => (worst = Math.max(worst, Math.abs(avg[k]!.data[i]! - v) / scale)));
        // The average is not the weights themselves: 4 steps of 1e-3 moved them.
        expect(avg[k]!.data, k).not.toEqual(a[k]!.data);
      }
      expect(worst, 'max |ema − float64 formula| / max |ema| per tensor').toBeLessThan(1e-6);
      // Frozen tensors are the file's, bit for bit, in the average too.
      for (const k of averaged.frozen) expect(avg[k]!.data, k).toEqual(start[k]!.data);
      const file = readSafetensors(await averaged.save('safetensors', { weights: 'ema', metadata: { made_by: 'test' } }));
      expect(file.stateDict.get('body.2.weight')!.data).toEqual(avg['body.2.weight']!.data);
      expect(file.metadata).toEqual({ made_by: 'test' });
      await expectError(averaged.save('pth', { metadata: { made_by: 'test' } }), 'BAD_ARGUMENT', /only safetensors files hold it/);
      await expectError(averaged.save('safetensors', { metadata: { step: 4 } as unknown as Record<string, string> }), 'BAD_ARGUMENT', /metadata must map strings to strings/);

      // Resumed from saveState(), the average goes on as in an uninterrupted run.
      const straight = await trainer(SRVGG, { ema: decay });
      const first = await trainer(SRVGG, { ema: decay });
      try {
        for (let s = 0; s < 3; s++) await straight.step(batch(s).lr, batch(s).hr);
        await first.step(batch(0).lr, batch(0).hr);
        const state = await first.saveState();
        const second = await trainer(SRVGG, { ema: decay, resume: state }, Buffer.from(await first.save('pth')));
        try {
          for (let s = 1; s < 3; s++) await second.step(batch(s).lr, batch(s).hr);
          const [x, y] = [await straight.stateDict('ema'), await second.stateDict('ema')];
          for (const k of Object.keys(x)) expect(y[k]!.data, k).toEqual(x[k]!.data);
        } finally {
          second.destroy();
        }
        await expectError(trainer(SRVGG, { resume: state }), 'BAD_ARGUMENT', /holds a moving average of the weights: resume with the ema decay/);
        await expectError(trainer(SRVGG, { ema: decay, resume: await plain.saveState() }), 'BAD_ARGUMENT', /has no moving average of the weights: resume without ema/);
      } finally {
        straight.destroy();
        first.destroy();
      }
      await expectError(plain.stateDict('ema'), 'BAD_ARGUMENT', /keeps no moving average of the weights/);
      await expectError(averaged.save('pth', { weights: 'average' as 'ema' }), 'BAD_ARGUMENT', /weights must be "trained" or "ema"/);
      for (const bad of [1, 0, -0.5, NaN, '0.999']) await expectError(trainer(SRVGG, { ema: bad as number }), 'BAD_ARGUMENT', /createTrainer ema: the decay must be a number between 0 and 1/);
      // The average is a third copy of the trainable weights beside Adam's two moments.
      expect(averaged.memory(4, 8, 8).optimizer).toBe((3 / 2) * frozenToo.memory(4, 8, 8).optimizer);
    } finally {
      plain.destroy();
      averaged.destroy();
      frozenToo.destroy();
    }
  }, 120_000);

  it('freezes prefixes, changes the learning rate, reports gradients and memory', async () => {
    const batch = batches(SRVGG);
    const tr = await trainer(SRVGG, { freeze: ['body.0.', 'body.1.'] });
    try {
      expect(tr.frozen).toEqual(['body.0.weight', 'body.0.bias', 'body.1.weight']);
      expect(tr.trainable).not.toContain('body.0.weight');
      const before = await tr.stateDict();
      tr.setLearningRate(0);
      await tr.step(batch(0).lr, batch(0).hr);
      const grads = await tr.gradients();
      expect(Object.keys(grads).sort()).toEqual([...tr.trainable].sort());
      expect(Math.max(...grads['body.10.weight']!.map(Math.abs))).toBeGreaterThan(0);
      // lr 0: nothing moves, to the bit.
      const after = await tr.stateDict();
      for (const k of Object.keys(before)) expect(after[k]!.data, k).toEqual(before[k]!.data);
      tr.setLearningRate(1e-3);
      await tr.step(batch(1).lr, batch(1).hr);
      const moved = await tr.stateDict();
      expect(moved['body.0.weight']!.data).toEqual(before['body.0.weight']!.data);
      expect(moved['body.2.weight']!.data).not.toEqual(before['body.2.weight']!.data);
      const m = tr.memory(4, 8, 8);
      expect(m.total).toBe(m.activations + m.scratch + m.batchData + m.parameters + m.optimizer + m.packedWeights + m.other);
      expect(() => tr.setLearningRate(-1)).toThrow(/lr must be/);
    } finally {
      tr.destroy();
    }
  }, 60_000);

  it('refuses bad batches and options with clear errors, and a non-finite loss leaves the weights alone', async () => {
    const batch = batches(SRVGG);
    const { lr, hr } = batch(0);
    await expectError(trainer(SRVGG, { loss: 'l2' as 'l1' }), 'BAD_ARGUMENT', /loss must be "l1" or "mse"/);
    await expectError(trainer(SRVGG, { optimizer: { name: 'sgd' as 'adam', lr: 1 } }), 'BAD_ARGUMENT', /optimizer.name must be "adam" or "adamw"/);
    await expectError(trainer(SRVGG, { optimizer: { name: 'adam', lr: 1e-3, betas: [0.9, 1.5] } }), 'BAD_ARGUMENT', /betas must be two numbers in \[0, 1\)/);
    await expectError(trainer(SRVGG, { freeze: ['body.'] }), 'BAD_ARGUMENT', /nothing to train/);
    await expectError(trainer(SRVGG, { kernels: 'tiles' as 'gemm' }), 'BAD_ARGUMENT', /kernels must be one of "auto", "heuristic", "register-tile"/);
    await expectError(trainer(SRVGG, { freeze: ['body.0.', 'conv_first.'] }), 'BAD_ARGUMENT', /freeze conv_first\.: no tensor of this SRVGGNetCompact starts with it; its keys are body\.0\.weight/);
    await expectError(trainer(SRVGG, { maxMemory: 1024 }).then((t) => t.step(lr, hr).finally(() => t.destroy())), 'GPU_OUT_OF_MEMORY', /over the 0\.0 MiB budget/);
    const tr = await trainer(SRVGG, { optimizer: { name: 'adam', lr: 1e30 }, ema: 0.5 });
    try {
      await expectError(tr.step({ shape: [4, 1, 8, 8], data: new Float32Array(256) }, hr), 'BAD_ARGUMENT', /LR batch has 1 channels; this network takes 3/);
      await expectError(tr.step(lr, { shape: [4, 3, 16, 16], data: new Float32Array(3072) }), 'BAD_ARGUMENT', /needs \[4, 3, 32, 32\]/);
      await expectError(tr.step({ ...lr, data: lr.data.subarray(1) }, hr), 'BAD_ARGUMENT', /has 767 values; shape \[4, 3, 8, 8\] needs 768/);
      await expectError(tr.step(lr, { ...hr, data: Float32Array.from(hr.data, (v, i) => (i === 5 ? NaN : v)) }), 'BAD_ARGUMENT', /holds NaN at element 5/);
      await expectError(tr.step({ shape: [4, 3, 8, 8], data: [] as unknown as Float32Array }, hr), 'BAD_ARGUMENT', /data: Float32Array/);
      // lr 1e30 sends the weights to ±1e30 after one step: the next loss is not finite.
      await tr.step(lr, hr);
      const before = await tr.stateDict();
      const averageBefore = await tr.stateDict('ema');
      await expectError(tr.step(batch(1).lr, batch(1).hr), 'NUMERIC', /step 2: .*the parameters were not updated/);
      const after = await tr.stateDict();
      for (const k of Object.keys(before)) expect(after[k]!.data, k).toEqual(before[k]!.data);
      // Nor their moving average.
      const averageAfter = await tr.stateDict('ema');
      for (const k of Object.keys(averageBefore)) expect(averageAfter[k]!.data, k).toEqual(averageBefore[k]!.data);
      expect(tr.steps).toBe(1);
      await expectError(tr.save('onnx' as 'pth'), 'BAD_ARGUMENT', /save format must be/);
    } finally {
      tr.destroy();
    }
    await expectError(tr.step(lr, hr), 'BAD_ARGUMENT', /destroyed/);
  }, 60_000);
});

/** The first Python that imports torch: WGSR_TORCH_PYTHON, python3 on the PATH, or Debian's. */
function pythonWithTorch(): string | undefined {
  const candidates = [process.env.WGSR_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0);
}

const PYTHON = pythonWithTorch();
if (!PYTHON) console.log('trainer: PyTorch is not installed (apt-get install python3-torch); skipping the torch.load check of saved models');

/** SRVGGNetCompact and the SRGAN generator as nn.Modules with the fixtures' key layouts. */
const MODULES = `
import json, sys, torch
from torch import nn
class SRVGG(nn.Module):
    def __init__(s, nf, nc, up):
        super().__init__()
        s.body = nn.ModuleList([nn.Conv2d(3, nf, 3, 1, 1), nn.PReLU(nf)])
        for _ in range(nc): s.body.extend([nn.Conv2d(nf, nf, 3, 1, 1), nn.PReLU(nf)])
        s.body.append(nn.Conv2d(nf, 3 * up * up, 3, 1, 1))
class Block(nn.Module):
    def __init__(s, nf):
        super().__init__()
        s.conv1 = nn.Conv2d(nf, nf, 3, 1, 1); s.bn1 = nn.BatchNorm2d(nf); s.prelu = nn.PReLU(nf)
        s.conv2 = nn.Conv2d(nf, nf, 3, 1, 1); s.bn2 = nn.BatchNorm2d(nf)
class Up(nn.Module):
    def __init__(s, nf):
        super().__init__()
        s.conv = nn.Conv2d(nf, 4 * nf, 3, 1, 1); s.prelu = nn.PReLU(nf)
class SRGAN(nn.Module):
    def __init__(s, nf, nb):
        super().__init__()
        s.block_in = nn.Sequential(nn.Conv2d(3, nf, 9, 1, 4), nn.PReLU(nf))
        s.blocks = nn.ModuleList([Block(nf) for _ in range(nb)])
        s.block_out = nn.Sequential(nn.Conv2d(nf, nf, 3, 1, 1), nn.BatchNorm2d(nf))
        s.upsample = nn.ModuleList([Up(nf), Up(nf), nn.Conv2d(nf, 3, 9, 1, 4)])
path, kind, out = sys.argv[1], sys.argv[2], sys.argv[3]
ckpt = torch.load(path, map_location='cpu')
sd = ckpt['params']
net = SRVGG(16, 4, 4) if kind == 'srvgg' else SRGAN(16, 2)
net.load_state_dict(sd, strict=True)
json.dump({k: {'dtype': str(v.dtype), 'shape': list(v.shape), 'values': v.flatten().tolist()} for k, v in sd.items()}, open(out, 'w'))
`;

describe.skipIf(!PYTHON)('saved models in PyTorch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wgsr-trainer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const [kind, fixture] of [['srvgg', SRVGG], ['srgan', SRGAN]] as const) {
    it(`${kind}: torch.load and load_state_dict(strict=True) take the .pth; every value is ours`, async () => {
      const tr = await trainer(fixture);
      try {
        const b = batches(fixture)(0);
        await tr.step(b.lr, b.hr);
        writeFileSync(join(dir, `${kind}.pth`), await tr.save('pth'));
        writeFileSync(join(dir, 'modules.py'), MODULES);
        const r = spawnSync(PYTHON!, [join(dir, 'modules.py'), join(dir, `${kind}.pth`), kind, join(dir, `${kind}.json`)], { encoding: 'utf8', timeout: 120_000 });
        expect(r.status, r.stderr).toBe(0);
        const got = JSON.parse(readFileSync(join(dir, `${kind}.json`), 'utf8')) as Record<string, { dtype: string; shape: number[]; values: number[] }>;
        const sd = await tr.stateDict();
        expect(Object.keys(got)).toEqual(Object.keys(sd));
        for (const [k, t] of Object.entries(sd)) {
          expect(got[k]!.shape, k).toEqual(t.shape);
          expect(got[k]!.dtype, k).toBe(k.endsWith('num_batches_tracked') ? 'torch.int64' : 'torch.float32');
          expect(Float32Array.from(got[k]!.values), k).toEqual(t.data);
        }
      } finally {
        tr.destroy();
      }
    }, 120_000);
  }
});
