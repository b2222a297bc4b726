// The picture: the chosen image at once (preview), then before/after with a split line that is
// dragged on the image itself. "Before" is the input enlarged smoothly (the browser's
// high-quality, bicubic-class filter), not pixel blocks. Fit shows the whole picture; 1:1 shows
// the result's own pixels, panned by dragging (or with the scroll bars).

const SPLIT_GRAB_PX = 14; // how close to the line a press grabs it (in 1:1; in fit, any press moves it)

export class CompareView {
  /** `els`: { viewport, stage, before, after, split, zoom, caption, hint } */
  constructor(els) {
    this.els = els;
    this.mode = 'fit';
    this.split = 0.5;
    this.size = undefined; // { width, height } of what is shown, in its own pixels
    this.hasResult = false;
    this.drag = undefined;
    els.stage.addEventListener('pointerdown', (e) => this.#press(e));
    els.stage.addEventListener('pointermove', (e) => this.#move(e));
    els.stage.addEventListener('pointerup', () => (this.drag = undefined));
    els.stage.addEventListener('pointercancel', () => (this.drag = undefined));
    els.stage.addEventListener('dblclick', (e) => this.setMode(this.mode === 'fit' ? '1:1' : 'fit', e));
    els.split.addEventListener('keydown', (e) => this.#key(e));
    els.zoom.addEventListener('click', () => this.setMode(this.mode === 'fit' ? '1:1' : 'fit'));
    // Re-laid out when the viewport's width changes (its height follows the stage: not a trigger).
    let width = 0;
    new ResizeObserver(() => {
      if (els.viewport.clientWidth !== width) requestAnimationFrame(() => this.layout());
      width = els.viewport.clientWidth;
    }).observe(els.viewport);
  }

  /**
   * The chosen image alone, at once (no result yet, or the last one was cleared), shown as large
   * as the result of a ×`scale` model will be, so nothing jumps when it arrives.
   */
  showPreview(input, scale = 1) {
    const { before, after, stage } = this.els;
    this.hasResult = false;
    this.size = input ? { width: input.width * scale, height: input.height * scale } : undefined;
    this.input = input && { width: input.width, height: input.height, scale };
    stage.hidden = !input;
    if (!input) return;
    copyInto(before, input, input.width, input.height);
    after.width = after.height = 0;
    before.style.clipPath = 'none';
    stage.dataset.view = 'preview';
    this.layout();
  }

  /** Before (the input enlarged smoothly to the result's size) over after (the result), split. */
  showResult(input, result) {
    const { before, after, stage } = this.els;
    this.hasResult = true;
    this.size = { width: result.width, height: result.height };
    copyInto(before, input, result.width, result.height);
    copyInto(after, result, result.width, result.height);
    stage.hidden = false;
    stage.dataset.view = 'compare';
    this.setSplit(this.split);
    this.layout();
  }

  setSplit(fraction) {
    this.split = Math.min(1, Math.max(0, fraction));
    const { before, after, split } = this.els;
    const percent = this.split * 100;
    // Each side clipped to its half, so a transparent pixel shows the checkerboard, not the other image.
    if (this.hasResult) {
      before.style.clipPath = `inset(0 ${100 - percent}% 0 0)`;
      after.style.clipPath = `inset(0 0 0 ${percent}%)`;
    }
    split.style.left = `${percent}%`;
    split.setAttribute('aria-valuenow', String(Math.round(percent)));
  }

  /** 'fit' or '1:1'; `at` (a pointer event) keeps the picture point under it in place. */
  setMode(mode, at) {
    const { viewport, stage } = this.els;
    const rect = stage.getBoundingClientRect();
    const point = at && rect.width ? { x: (at.clientX - rect.left) / rect.width, y: (at.clientY - rect.top) / rect.height } : { x: 0.5, y: 0.5 };
    this.mode = mode;
    this.layout();
    if (mode === '1:1' && this.size) {
      const view = viewport.getBoundingClientRect();
      const anchorX = at ? at.clientX - view.left : view.width / 2;
      const anchorY = at ? at.clientY - view.top : view.height / 2;
      viewport.scrollLeft = point.x * this.size.width - anchorX;
      viewport.scrollTop = point.y * this.size.height - anchorY;
    }
  }

  /** Sizes the stage: the whole picture within the viewport (fit), or its own pixels (1:1). */
  layout() {
    const { viewport, stage, zoom, caption } = this.els;
    if (!this.size) return;
    const { width, height } = this.size;
    const maxHeight = Math.max(200, window.innerHeight * 0.75);
    const fit = Math.min(viewport.clientWidth / width, maxHeight / height);
    const scale = this.mode === 'fit' ? fit : 1;
    stage.style.width = `${Math.round(width * scale)}px`;
    stage.style.height = `${Math.round(height * scale)}px`;
    // Enlarged, each pixel shows as a square (the real pixels); reduced, the browser averages.
    stage.classList.toggle('enlarged', scale > 1);
    viewport.classList.toggle('actual', this.mode === '1:1');
    zoom.textContent = this.mode === 'fit' ? 'Zoom 1:1' : 'Fit';
    this.els.hint.hidden = !this.hasResult;
    caption.textContent = this.hasResult
      ? `result ${width}×${height}, shown at ${Math.round(scale * 100)}%`
      : `input ${this.input.width}×${this.input.height}, shown at ${Math.round(scale * this.input.scale * 100)}% (the size the ×${this.input.scale} result will have)`;
  }

  #fractionAt(e) {
    const rect = this.els.stage.getBoundingClientRect();
    return (e.clientX - rect.left) / rect.width;
  }

  #press(e) {
    if (e.button !== 0) return;
    const rect = this.els.stage.getBoundingClientRect();
    const nearLine = Math.abs(e.clientX - (rect.left + this.split * rect.width)) <= SPLIT_GRAB_PX;
    if (this.hasResult && (this.mode === 'fit' || nearLine)) {
      this.drag = { kind: 'split' };
      this.setSplit(this.#fractionAt(e));
    } else if (this.mode === '1:1') {
      const { viewport } = this.els;
      this.drag = { kind: 'pan', x: e.clientX, y: e.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
    } else {
      return;
    }
    e.preventDefault();
    this.els.stage.setPointerCapture(e.pointerId);
  }

  #move(e) {
    if (this.drag?.kind === 'split') this.setSplit(this.#fractionAt(e));
    else if (this.drag?.kind === 'pan') {
      this.els.viewport.scrollLeft = this.drag.left - (e.clientX - this.drag.x);
      this.els.viewport.scrollTop = this.drag.top - (e.clientY - this.drag.y);
    }
  }

  #key(e) {
    const step = e.shiftKey ? 0.1 : 0.02;
    const next = { ArrowLeft: this.split - step, ArrowRight: this.split + step, Home: 0, End: 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    this.setSplit(next);
  }
}

/** Draws `source` (a canvas) onto `target` at width×height, smoothing with the browser's best filter. */
function copyInto(target, source, width, height) {
  target.width = width;
  target.height = height;
  const context = target.getContext('2d');
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, 0, 0, width, height);
}
