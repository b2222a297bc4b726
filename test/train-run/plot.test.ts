import { describe, expect, it } from 'vitest';
import { drawText } from '../../src/runtime/train-run/font.js';
import { drawTrainingPlot } from '../../src/runtime/train-run/plot.js';

const count = (data: Uint8Array | Uint16Array, rgb: [number, number, number]) => {
  let n = 0;
  for (let i = 0; i < data.length; i += 3) if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) n++;
  return n;
};

describe('the training plot', () => {
  it('draws the loss, both validation series and the bicubic lines; without data it still draws its axes', () => {
    const loss = Array.from({ length: 50 }, (_, i) => ({ step: (i + 1) * 10, loss: 0.05 / (1 + i / 10), loss_mean: 0.05 / (1 + i / 10) }));
    const val = [0, 250, 500].map((step, i) => ({ step, psnr: 28 + 3 * i, degraded: 25 + i }));
    const plot = drawTrainingPlot({ loss, val, bicubic: 33, bicubicDegraded: 27.5, totalSteps: 500 });
    expect([plot.width, plot.height, plot.channels]).toEqual([800, 560, 3]);
    expect(count(plot.data, [30, 90, 180])).toBeGreaterThan(300); // the loss mean
    expect(count(plot.data, [200, 60, 30])).toBeGreaterThan(300); // validation PSNR
    expect(count(plot.data, [120, 40, 150])).toBeGreaterThan(300); // on degraded LR, and its bicubic line
    expect(count(plot.data, [110, 110, 110])).toBeGreaterThan(200); // bicubic, dashed
    const empty = drawTrainingPlot({ loss: [], val: [], totalSteps: 10 });
    expect(count(empty.data, [40, 40, 40])).toBeGreaterThan(1000);
    expect(count(empty.data, [200, 60, 30])).toBe(0);
  });

  it('the font draws a 1 as its five rows', () => {
    const lit = new Set<string>();
    drawText('1', 0, 0, 1, (x, y) => lit.add(`${x},${y}`));
    const rows = [0, 1, 2, 3, 4].map((y) => [0, 1, 2].map((x) => (lit.has(`${x},${y}`) ? '#' : '.')).join(''));
    expect(rows).toEqual(['.#.', '##.', '.#.', '.#.', '###']);
  });
});
