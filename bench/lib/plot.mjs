// A small raster plotter for benchmark charts: an RGB canvas, lines, text in the built-in
// bitmap font, and line-chart panels with ticked, labelled axes. Written out with pngjs.
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { ADVANCE, GLYPH_HEIGHT, glyphPixels } from './font.mjs';

export class Canvas {
  constructor(width, height, background = [255, 255, 255]) {
    this.width = width;
    this.height = height;
    this.data = Buffer.alloc(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  pixel(x, y, [r, g, b]) {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.data[i] = r;
    this.data[i + 1] = g;
    this.data[i + 2] = b;
    this.data[i + 3] = 255;
  }

  fillRect(x, y, w, h, color) {
    for (let j = Math.round(y); j < Math.round(y + h); j++) for (let i = Math.round(x); i < Math.round(x + w); i++) this.pixel(i, j, color);
  }

  /** A line `width` pixels thick (a square brush stepped along it). */
  line(x0, y0, x1, y1, color, width = 1) {
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    const r = (width - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      this.fillRect(x - r, y - r, width, width, color);
    }
  }

  /** Text with its top-left corner at (x, y), each font pixel `scale`×`scale`; `align` is left, center or right. */
  text(str, x, y, { color = [0, 0, 0], scale = 2, align = 'left' } = {}) {
    const w = textWidth(str, scale);
    const left = align === 'center' ? x - w / 2 : align === 'right' ? x - w : x;
    [...str].forEach((ch, i) => {
      for (const [px, py] of glyphPixels(ch)) this.fillRect(left + (i * ADVANCE + px) * scale, y + py * scale, scale, scale, color);
    });
  }

  /** Text running bottom to top (a y-axis title), centred on (x, y). */
  verticalText(str, x, y, { color = [0, 0, 0], scale = 2 } = {}) {
    const top = y + textWidth(str, scale) / 2;
    [...str].forEach((ch, i) => {
      for (const [px, py] of glyphPixels(ch)) this.fillRect(x + py * scale, top - (i * ADVANCE + px + 1) * scale, scale, scale, color);
    });
  }

  writePng(file) {
    const png = new PNG({ width: this.width, height: this.height });
    this.data.copy(png.data);
    writeFileSync(file, PNG.sync.write(png));
  }
}

export function textWidth(str, scale = 2) {
  return ([...str].length * ADVANCE - 1) * scale;
}

/** Round tick values from 0 (or below the data) to at least `max`: steps of 1, 2 or 5 × 10^k. */
export function niceTicks(min, max, count = 5) {
  const span = max - min || Math.abs(max) || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.floor(min / step) * step; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const AXIS = [60, 60, 60];
const GRID = [225, 225, 225];

/**
 * One line chart in the rectangle (x, y, w, h) of the canvas: a title, axes with ticks, tick
 * labels and titles, light grid lines, and each series as a line through dots.
 * @param {{ title: string, xLabel: string, yLabel: string, xTicks?: number[],
 *   series: { points: [number, number][], color: number[] }[] }} chart
 */
export function linePanel(canvas, { x, y, w, h }, chart) {
  const all = chart.series.flatMap((s) => s.points);
  const xs = chart.xTicks ?? niceTicks(Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])));
  const ys = niceTicks(0, Math.max(...all.map((p) => p[1])));
  const plot = { left: x + 70, right: x + w - 15, top: y + 30, bottom: y + h - 50 };
  const [x0, x1] = [xs[0], xs.at(-1)];
  const [y0, y1] = [ys[0], ys.at(-1)];
  const px = (v) => plot.left + ((v - x0) / (x1 - x0)) * (plot.right - plot.left);
  const py = (v) => plot.bottom - ((v - y0) / (y1 - y0)) * (plot.bottom - plot.top);

  canvas.text(chart.title, (plot.left + plot.right) / 2, y + 4, { align: 'center' });
  for (const v of ys) {
    canvas.line(plot.left, py(v), plot.right, py(v), GRID);
    canvas.line(plot.left - 5, py(v), plot.left, py(v), AXIS);
    canvas.text(formatTick(v), plot.left - 9, py(v) - GLYPH_HEIGHT, { align: 'right' });
  }
  for (const v of xs) {
    canvas.line(px(v), plot.top, px(v), plot.bottom, GRID);
    canvas.line(px(v), plot.bottom, px(v), plot.bottom + 5, AXIS);
    canvas.text(formatTick(v), px(v), plot.bottom + 10, { align: 'center' });
  }
  canvas.line(plot.left, plot.top, plot.left, plot.bottom, AXIS, 2);
  canvas.line(plot.left, plot.bottom, plot.right, plot.bottom, AXIS, 2);
  canvas.text(chart.xLabel, (plot.left + plot.right) / 2, plot.bottom + 30, { align: 'center' });
  canvas.verticalText(chart.yLabel, x + 4, (plot.top + plot.bottom) / 2);

  for (const { points, color } of chart.series) {
    points.forEach(([a, b], i) => {
      if (i > 0) canvas.line(px(points[i - 1][0]), py(points[i - 1][1]), px(a), py(b), color, 2);
    });
    for (const [a, b] of points) canvas.fillRect(px(a) - 3, py(b) - 3, 7, 7, color);
  }
}

function formatTick(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 10_000 ? `${v / 1000}K` : a >= 1 ? String(Number(v.toPrecision(6))) : String(Number(v.toPrecision(2)));
}
