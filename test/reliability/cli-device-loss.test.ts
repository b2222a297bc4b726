import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { craftPng } from '../io/png-craft.js';

/**
 * A device lost in the middle of a CLI batch: the CLI's devices come from createServerDevice,
 * wrapped here so that the first one is destroyed just before the second submit (the second
 * image's only tile). The image is redone on a new device and the batch finishes on it.
 */
const made: GPUDevice[] = [];
vi.mock('../../src/runtime/node.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/runtime/node.js')>();
  return {
    ...real,
    createServerDevice: async () => {
      const created = await real.createServerDevice();
      const first = made.length === 0;
      made.push(created.device);
      if (!first) return created;
      let submits = 0;
      const target = created.device;
      const queue = new Proxy(target.queue, {
        get(q, prop) {
          if (prop === 'submit') {
            return (buffers: GPUCommandBuffer[]) => {
              if (++submits === 2) target.destroy();
              q.submit(buffers);
            };
          }
          const v = Reflect.get(q, prop, q);
          return typeof v === 'function' ? v.bind(q) : v;
        },
      });
      const device = new Proxy(target, {
        get(t, prop) {
          if (prop === 'queue') return queue;
          const v = Reflect.get(t, prop, t);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
      return { ...created, device };
    },
  };
});

const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');
const root = mkdtempSync(join(tmpdir(), 'wgsr-cli-lost-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('a batch goes on after the device is lost: the image is redone on a new device, all are written', async () => {
  const input = join(root, 'in');
  const output = join(root, 'out');
  mkdirSync(input);
  mkdirSync(output);
  for (const name of ['a.png', 'b.png', 'c.png']) {
    writeFileSync(join(input, name), craftPng({ width: 8, height: 8, colorType: 2, bitDepth: 8, pixel: (x, y) => [x * 30, y * 30, name.charCodeAt(0)] }));
  }
  const lines: string[] = [];
  const io = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l), interactive: false };
  const code = await main(['upscale', input, '-o', output, '-m', MODEL], io);
  expect(code, lines.join('\n')).toBe(0);
  expect(made.length).toBe(2);
  expect(readdirSync(output).sort()).toEqual(['a.png', 'b.png', 'c.png']);
}, 60_000);
