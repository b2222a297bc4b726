import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const MODEL = resolve(__dirname, '../fixtures/models/realesrgan_x4_tiny/model.pth');

describe('wgsr bench', () => {
  it('times a model and profiles every layer with timestamp queries', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['bench', '-m', MODEL, '--size', '12', '--runs', '1', '--profile', '--json'], {
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
      interactive: false,
    });
    expect(code, err.join('\n')).toBe(0);
    const result = JSON.parse(out.join('\n'));
    expect(result.model).toBe('RRDBNet');
    expect(result.ms).toBeGreaterThan(0);
    expect(result.plannedBytes).toBeLessThan(result.naiveBytes);
    // Every fused step is timed: 2 blocks × 15 convs + 6 trunk convs, each a layer of its own.
    expect(result.layers).toHaveLength(36);
    // conv_hr at ×4: 2 · 16 · 16 · 9 · 48 · 48 multiply-adds.
    const hr = result.layers.find((l: { label: string }) => l.label === 'conv_hr');
    expect(hr.flops).toBe(2 * 16 * 16 * 9 * 48 * 48);
    expect(result.layers.every((l: { ms: number }) => l.ms >= 0)).toBe(true);
    // Each conv layer names the kernel variant that ran it: the heuristic's on this CPU adapter.
    expect(result.kernels).toBe('heuristic: register-tile');
    expect(result.layers.every((l: { op: string; kernel?: string }) => (l.op === 'conv2d' ? l.kernel === 'register-tile' : l.kernel === undefined))).toBe(true);
  });
});
