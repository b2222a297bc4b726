import type { Image } from '../../image/types.js';
import { drawText, textWidth } from './font.js';

/**
 * The run's plot, drawn here (no plotting library): the training loss (log scale, the logged
 * steps' losses faint, the means over all steps strong) above, validation PSNR-Y with the
 * bicubic baseline (dashed) below, both against the step.
 */
export interface PlotData {
  /** Each log line's step loss, and the mean since the previous line when logged every few steps. */
  loss: readonly { step: number; loss: number; loss_mean?: number }[];
  val: readonly { step: number; psnr: number; degraded?: number }[];
  bicubic?: number;
  /** Bicubic on the degraded LR (runs with --degrade realesrgan). */
  bicubicDegraded?: number;
  totalSteps: number;
}

type Rgb = readonly [number, number, number];
const WIDTH = 800;
const HEIGHT = 560;
const FONT = 2;
const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];
const LOSS_RAW: Rgb = [170, 200, 235];
const LOSS: Rgb = [30, 90, 180];
const PSNR: Rgb = [200, 60, 30];
const BICUBIC: Rgb = [110, 110, 110];
const DEGRADED: Rgb = [120, 40, 150];

class Canvas {
  readonly data = new Uint8Array(WIDTH * HEIGHT * 3).fill(255);
  set(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= WIDTH || y >= HEIGHT) return;
    this.data.set(c, (y * WIDTH + x) * 3);
  }
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, dash = 0): void {
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= n; i++) if (!dash || Math.floor(i / dash) % 2 === 0) this.set(x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * i) / n, c);
  }
  text(s: string, x: number, y: number, c: Rgb): void {
    drawText(s, x, y, FONT, (px, py) => this.set(px, py, c));
  }
}

interface Panel {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** "Nice" tick values (1, 2, 5 × 10^k) covering [lo, hi]. */
function ticks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

const label = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(0).replace('+', '') : String(+v.toPrecision(4)));

function axes(cv: Canvas, p: Panel, steps: number, yTicks: { at: number; text: string }[], title: string): (s: number) => number {
  const x = (s: number) => p.left + ((p.right - p.left) * s) / Math.max(1, steps);
  for (const t of yTicks) {
    cv.line(p.left, t.at, p.right, t.at, GRID);
    cv.text(t.text, p.left - 6 - textWidth(t.text, FONT), t.at - 5, INK);
  }
  for (const s of ticks(0, steps, 6)) {
    cv.line(x(s), p.top, x(s), p.bottom, GRID);
    cv.text(label(s), x(s) - textWidth(label(s), FONT) / 2, p.bottom + 6, INK);
  }
  cv.line(p.left, p.top, p.left, p.bottom, INK);
  cv.line(p.left, p.bottom, p.right, p.bottom, INK);
  cv.text(title, p.left, p.top - 16, INK);
  return x;
}

export function drawTrainingPlot(d: PlotData): Image {
  const cv = new Canvas();
  const steps = Math.max(d.totalSteps, ...d.loss.map((l) => l.step), ...d.val.map((v) => v.step), 1);
  // Loss, log10 scale.
  const lossPanel: Panel = { top: 40, bottom: 250, left: 90, right: WIDTH - 30 };
  const finite = d.loss.filter((l) => Number.isFinite(l.loss) && l.loss > 0);
  if (finite.length) {
    const logs = finite.map((l) => Math.log10(l.loss));
    let lo = Math.floor(Math.min(...logs) * 4) / 4;
    let hi = Math.ceil(Math.max(...logs) * 4) / 4;
    if (hi - lo < 0.25) [lo, hi] = [lo - 0.125, hi + 0.125];
    const y = (v: number) => lossPanel.bottom - ((lossPanel.bottom - lossPanel.top) * (Math.log10(v) - lo)) / (hi - lo);
    const yTicks = ticks(10 ** lo, 10 ** hi, 5)
      .filter((v) => v > 0)
      .map((v) => ({ at: y(v), text: label(v) }));
    const lines = [...new Set([lo, hi].map((e) => 10 ** e))].map((v) => ({ at: y(v), text: label(+v.toPrecision(2)) }));
    const x = axes(cv, lossPanel, steps, yTicks.length >= 2 ? yTicks : lines, 'TRAINING LOSS (LOG SCALE)');
    for (let i = 1; i < finite.length; i++) cv.line(x(finite[i - 1]!.step), y(finite[i - 1]!.loss), x(finite[i]!.step), y(finite[i]!.loss), LOSS_RAW);
    // The strong line: the logged means (over every step), smoothed further when there are many.
    const means = finite.map((l) => ({ step: l.step, loss: l.loss_mean !== undefined && l.loss_mean > 0 ? l.loss_mean : l.loss }));
    const window = Math.max(1, Math.round(means.length / 25));
    const mean = means.map((_, i) => {
      const part = means.slice(Math.max(0, i - window + 1), i + 1);
      return { step: means[i]!.step, loss: part.reduce((a, b) => a + b.loss, 0) / part.length };
    });
    for (let i = 1; i < mean.length; i++) cv.line(x(mean[i - 1]!.step), y(mean[i - 1]!.loss), x(mean[i]!.step), y(mean[i]!.loss), LOSS);
  } else {
    axes(cv, lossPanel, steps, [], 'TRAINING LOSS (NO STEPS YET)');
  }
  // Validation PSNR-Y.
  const valPanel: Panel = { top: 320, bottom: HEIGHT - 40, left: 90, right: WIDTH - 30 };
  const values = [...d.val.flatMap((v) => [v.psnr, v.degraded ?? NaN]), d.bicubic ?? NaN, d.bicubicDegraded ?? NaN].filter(Number.isFinite);
  const title = 'VALIDATION PSNR-Y (DB)';
  if (values.length) {
    let lo = Math.floor(Math.min(...values) * 2) / 2 - 0.5;
    let hi = Math.ceil(Math.max(...values) * 2) / 2 + 0.5;
    const y = (v: number) => valPanel.bottom - ((valPanel.bottom - valPanel.top) * (v - lo)) / (hi - lo);
    const x = axes(cv, valPanel, steps, ticks(lo, hi, 5).map((v) => ({ at: y(v), text: label(v) })), title);
    if (d.bicubic !== undefined) {
      cv.line(valPanel.left, y(d.bicubic), valPanel.right, y(d.bicubic), BICUBIC, 6);
      cv.text(`BICUBIC ${d.bicubic.toFixed(2)}`, valPanel.right - textWidth(`BICUBIC ${d.bicubic.toFixed(2)}`, FONT), y(d.bicubic) - 14, BICUBIC);
    }
    if (d.bicubicDegraded !== undefined) {
      const text = `BICUBIC DEGRADED ${d.bicubicDegraded.toFixed(2)}`;
      cv.line(valPanel.left, y(d.bicubicDegraded), valPanel.right, y(d.bicubicDegraded), DEGRADED, 6);
      cv.text(text, valPanel.right - textWidth(text, FONT), y(d.bicubicDegraded) - 14, DEGRADED);
    }
    const series = (points: { step: number; v: number }[], colour: Rgb, name: string, row: number) => {
      const pts = points.filter((p) => Number.isFinite(p.v));
      for (let i = 1; i < pts.length; i++) {
        for (const off of [-0.5, 0, 0.5]) cv.line(x(pts[i - 1]!.step), y(pts[i - 1]!.v) + off, x(pts[i]!.step), y(pts[i]!.v) + off, colour);
      }
      for (const p of pts) for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) cv.set(x(p.step) + dx, y(p.v) + dy, colour);
      const last = pts[pts.length - 1];
      if (last) cv.text(`${name} ${last.v.toFixed(2)}`, valPanel.left + 8, valPanel.top + 4 + row * 14, colour);
    };
    series(d.val.map((v) => ({ step: v.step, v: v.psnr })), PSNR, 'LAST', 0);
    if (d.val.some((v) => v.degraded !== undefined)) series(d.val.map((v) => ({ step: v.step, v: v.degraded ?? NaN })), DEGRADED, 'LAST ON DEGRADED LR', 1);
  } else {
    axes(cv, valPanel, steps, [], `${title}: NO --VAL SET`);
  }
  cv.text('STEP', WIDTH / 2 - 8, HEIGHT - 18, INK);
  return { width: WIDTH, height: HEIGHT, channels: 3, bitDepth: 8, data: cv.data };
}
