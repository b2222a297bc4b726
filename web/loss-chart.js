// The live loss curve of the fine-tune panel: every step's loss (thin, grey) and its running
// mean (bold, blue; an exponential moving average, because one batch's loss is noisy), on a
// canvas that is redrawn per step. The y axis spans the losses seen; the x axis the steps planned.

const SMOOTHING = 0.8; // EMA weight of the past, debiased as TensorBoard's smoothing is
const PAD = { left: 58, right: 12, top: 12, bottom: 26 };

export class LossChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.reset(1);
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Clears the chart for a run of `steps` steps. */
  reset(steps) {
    this.steps = steps;
    this.values = [];
    this.smooth = [];
    this.canvas.dataset.losses = '[]';
    this.draw();
  }

  add(loss) {
    this.values.push(loss);
    // Debiased EMA: the first points are not pulled towards 0.
    const n = this.values.length;
    const ema = (this.emaRaw = n === 1 ? loss : SMOOTHING * this.emaRaw + (1 - SMOOTHING) * loss);
    this.smooth.push(n === 1 ? loss : ema);
    // The numbers behind the curve, for whoever wants them (the browser test reads them).
    this.canvas.dataset.losses = JSON.stringify(this.values);
    this.draw();
  }

  draw() {
    const { canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '12px system-ui, sans-serif';
    const plot = { x: PAD.left, y: PAD.top, w: width - PAD.left - PAD.right, h: height - PAD.top - PAD.bottom };
    g.strokeStyle = '#c9ced8';
    g.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w, plot.h);
    g.fillStyle = '#5b6475';
    g.textAlign = 'center';
    g.fillText(this.values.length ? `step (of ${this.steps})` : 'step', plot.x + plot.w / 2, height - 6);
    if (this.values.length === 0) {
      g.fillText('The L1 loss of each step shows here while training runs.', plot.x + plot.w / 2, plot.y + plot.h / 2);
      return;
    }
    let lo = Math.min(...this.values);
    let hi = Math.max(...this.values);
    if (hi - lo < 1e-12) [lo, hi] = [lo * 0.9, hi * 1.1 + 1e-12];
    const margin = (hi - lo) * 0.08;
    [lo, hi] = [Math.max(0, lo - margin), hi + margin];
    const xAt = (i) => plot.x + (this.steps <= 1 ? 0 : (i / (this.steps - 1)) * plot.w);
    const yAt = (v) => plot.y + (1 - (v - lo) / (hi - lo)) * plot.h;
    g.textAlign = 'right';
    for (const v of [hi, (hi + lo) / 2, lo]) {
      g.fillText(v.toPrecision(3), plot.x - 6, yAt(v) + 4);
      g.strokeStyle = '#eceef2';
      g.beginPath();
      g.moveTo(plot.x + 1, Math.round(yAt(v)) + 0.5);
      g.lineTo(plot.x + plot.w, Math.round(yAt(v)) + 0.5);
      g.stroke();
    }
    const line = (values, style, lineWidth) => {
      g.strokeStyle = style;
      g.lineWidth = lineWidth;
      g.beginPath();
      values.forEach((v, i) => (i ? g.lineTo(xAt(i), yAt(v)) : g.moveTo(xAt(i), yAt(v))));
      if (values.length === 1) g.arc(xAt(0), yAt(values[0]), 2, 0, 2 * Math.PI);
      g.stroke();
      g.lineWidth = 1;
    };
    line(this.values, '#a8b0bf', 1);
    line(this.smooth, '#3566d6', 2.5);
    // The latest numbers, top right: the curve starts top left (losses fall), so they rarely cover it.
    g.textAlign = 'right';
    g.fillStyle = '#1d2330';
    const last = this.values.length;
    g.fillText(`step ${last}: loss ${this.values[last - 1].toPrecision(4)} (smoothed ${this.smooth[last - 1].toPrecision(4)})`, plot.x + plot.w - 8, plot.y + 16);
  }
}
