import type { ElementType } from '../gpu/buffers.js';
import { activationWgsl } from './activations.js';
import { unrolledKernelRows, type ConvTile } from './conv2d-tile.js';
import { elementBindings, elementEnable, elementWgsl, tensorBinding } from './element.js';
import { defineKernel, type KernelVariant, type StorageBinding } from './program.js';
import { uniformStruct } from './uniforms.js';

/**
 * WGSL for the direct conv2d (stride 1, "same" zero padding, odd square kernel), generated per
 * variant: kernel size, register tile, subgroup size, input transform and epilogue change the
 * code; every shape, offset and factor is a uniform.
 *
 * Register tiling: one invocation computes `cv` groups of 4 output channels × `py` rows × `px`
 * pixels, so every value it loads feeds many FMAs. That ratio is what decides speed on a CPU
 * backend: lavapipe turns each storage-buffer load into a loop over the SIMD lanes with a
 * bounds check per lane and per component, uniform address or not (its uniform fast path
 * only applies to constant addresses), costing as much as ~16 vector FMAs (measured). For
 * each input channel the invocation loads its (py + k − 1) × (px + k − 1) input window once
 * and reuses it for all k² taps.
 *
 * Weights: every invocation of a workgroup uses the same weights, and the weights of one
 * input channel for the tile's cv groups are one contiguous block of cv·k² vec4s. With
 * subgroups of a known size S, lane l loads vec4s l, l + S, … of the block and the others get
 * them by subgroupBroadcast (a register shuffle), so each lane loads S times fewer weights.
 * Without subgroups each invocation loads the weight vec4s itself.
 *
 * Padding and the fused input transforms live in the per-row and per-column offsets, computed
 * once per invocation: coordinates outside the image are clamped (the load stays in bounds)
 * and masked to zero. Nearest upsampling divides coordinates (by 1 for a plain conv);
 * pixel-unshuffle multiplies them and offsets by the channel's phase. There is no early
 * return: an out-of-image invocation whose subgroup has lanes inside computes clamped garbage
 * and skips the stores, so every lane stays active for the broadcasts; a subgroup wholly
 * outside skips the channel loop.
 *
 * Few variants, on purpose: a CPU adapter JIT-compiles each shader for seconds on first use,
 * so what can be a uniform is one: the upsampling factor, the LeakyReLU slope (1 = none,
 * 0 = ReLU) and the number of residuals (always bound; the launcher binds the output's buffer
 * in place of a missing one, and the branch on the count is uniform). A whole RRDBNet needs
 * one conv variant per channel-tile size.
 */
export type ConvTransformKind = 'nearest' | 'pixel_unshuffle';

/** The epilogue's activation: LeakyReLU with a uniform slope (covers none and ReLU), PReLU or tanh. */
export type ConvActivationKind = 'leaky' | 'prelu' | 'tanh';

export interface ConvVariantSpec {
  readonly k: number;
  readonly transform: ConvTransformKind;
  readonly activation: ConvActivationKind;
  readonly tile: ConvTile;
  /** How the activation tensors store their elements (weights are always f32). */
  readonly element: ElementType;
}

export const CONV2D_PARAMS = uniformStruct('Conv2dParams', [
  { name: 'in_offset', type: 'u32' },
  { name: 'in_h', type: 'u32' },
  { name: 'in_w', type: 'u32' },
  /** Upsampling factor or unshuffle factor (1 without a transform). */
  { name: 'factor', type: 'u32' },
  /** Conv (and output) size: the input's size after the transform. */
  { name: 'height', type: 'u32' },
  { name: 'width', type: 'u32' },
  { name: 'cin', type: 'u32' },
  { name: 'cout', type: 'u32' },
  /** vec4s between consecutive channel tiles (cv groups) of the packed weights: cin·k²·cv. */
  { name: 'w_stride', type: 'u32' },
  /** vec4 index of the bias and the PReLU slopes in the packed weights. */
  { name: 'bias_offset', type: 'u32' },
  { name: 'prelu_offset', type: 'u32' },
  { name: 'out_offset', type: 'u32' },
  { name: 'r1_offset', type: 'u32' },
  { name: 'r2_offset', type: 'u32' },
  /** Residual tensors added in the epilogue: 0, 1 (r1) or 2 (r1 and r2). */
  { name: 'residuals', type: 'u32' },
  /**
   * Several images in one dispatch (a training batch): workgroups along z are images ×
   * z_groups, and image b of each tensor starts `b × its stride` elements after its offset.
   */
  { name: 'z_groups', type: 'u32' },
  { name: 'in_image', type: 'u32' },
  { name: 'out_image', type: 'u32' },
  { name: 'r1_image', type: 'u32' },
  { name: 'r2_image', type: 'u32' },
  { name: 'alpha', type: 'f32' },
  { name: 'beta', type: 'f32' },
  { name: 'gamma', type: 'f32' },
  /** LeakyReLU's negative slope: 1 for no activation, 0 for ReLU. */
  { name: 'slope', type: 'f32' },
] as const);

/**
 * Where a conv-space input coordinate lives in the source tensor, per transform; `base` is
 * the element where the invocation's input image starts.
 */
export const TRANSFORM_WGSL: Record<ConvTransformKind, string> = {
  // The conv reads upsample(input): conv pixel (y, x) is source pixel (y / f, x / f); f = 1
  // for a plain conv.
  nearest: `
fn chan_base(base: u32, c: u32) -> u32 { return base + c * u.in_h * u.in_w; }
fn row_off(y: u32) -> u32 { return (y / u.factor) * u.in_w; }
fn col_off(x: u32) -> u32 { return x / u.factor; }`,
  // The conv reads pixel_unshuffle(input): channel c·r² + i·r + j at (y, x) is source
  // channel c at (y·r + i, x·r + j), as in torch.nn.functional.pixel_unshuffle.
  pixel_unshuffle: `
fn chan_base(base: u32, c: u32) -> u32 {
  let r = u.factor;
  return base + (c / (r * r)) * u.in_h * u.in_w + ((c / r) % r) * u.in_w + c % r;
}
fn row_off(y: u32) -> u32 { return y * u.factor * u.in_w; }
fn col_off(x: u32) -> u32 { return x * u.factor; }`,
};

/**
 * alpha·v + beta·r1 (+ gamma·r2) for the residuals there are, at element o of image `image`:
 * every conv variant's epilogue.
 */
export const WITH_RESIDUALS_WGSL = `
fn with_residuals(v: f32, image: u32, o: u32) -> f32 {
  if (u.residuals == 0u) { return v; }
  let y = u.alpha * v + u.beta * f32(res1[u.r1_offset + image * u.r1_image + o]);
  if (u.residuals == 1u) { return y; }
  return y + u.gamma * f32(res2[u.r2_offset + image * u.r2_image + o]);
}`;

/**
 * The image a workgroup computes, the z index within that image, and where the image's input
 * and output start: the prologue of every conv variant.
 */
export const IMAGE_WGSL = `
  let image = wid.z / u.z_groups;
  let gz = wid.z - image * u.z_groups;
  let in_base = u.in_offset + image * u.in_image;
  let out_base = u.out_offset + image * u.out_image;`;

export function conv2dVariantKey(s: ConvVariantSpec): string {
  const t = s.tile;
  return `conv2d k${s.k} ${s.transform} ${s.activation} ${t.cv * 4}x${t.py}x${t.px} wg${t.wgX}x${t.wgY} sg${t.subgroup} ${s.element}`;
}

/** input, weights, output, residuals r1 and r2, then (f16) the overflow flag. */
export function conv2dBindings(element: ElementType): StorageBinding[] {
  return [
    tensorBinding('src'),
    { name: 'wts', type: 'array<vec4f>', kind: 'read-only-storage' },
    tensorBinding('dst'),
    tensorBinding('res1'),
    tensorBinding('res2'),
    ...elementBindings(element),
  ];
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * Generated variants by key: every conv of a network is lowered again for each tile shape, and
 * generating the shader text each time cost RRDBNet ~0.2 s per shape (351 convs).
 */
const generated = new Map<string, KernelVariant>();

export function conv2dVariant(s: ConvVariantSpec): KernelVariant {
  const key = conv2dVariantKey(s);
  let variant = generated.get(key);
  if (!variant) {
    variant = generateConv2dVariant(s);
    generated.set(key, variant);
  }
  return variant;
}

/** Lines of WGSL at a given indent. */
export class Lines {
  readonly lines: string[] = [];
  emit(indent: number, text: string): void {
    this.lines.push(' '.repeat(indent) + text);
  }
}

function generateConv2dVariant(s: ConvVariantSpec): KernelVariant {
  const { tile } = s;
  const { px, py, cv, subgroup: sg } = tile;
  const out = new Lines();
  emitMainLoop(out, s);
  emitEpilogue(out, s);
  const lines = out.lines;
  const laneBuiltin = sg ? ', @builtin(subgroup_invocation_id) lane: u32' : '';
  // The channel loop's bound is subgroup-uniform (subgroupAny), which the uniformity analysis,
  // knowing only workgroup uniformity, cannot see.
  const subgroups = sg ? 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n' : '';
  const body = /* wgsl */ `${elementWgsl(s.element, true)}
${TRANSFORM_WGSL[s.transform]}

${WITH_RESIDUALS_WGSL}
@compute @workgroup_size(${tile.wgX}, ${tile.wgY}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u${laneBuiltin}) {
  let x0 = gid.x * ${px}u;
  let y0 = gid.y * ${py}u;
  let plane = u.height * u.width;${IMAGE_WGSL}
  // From the workgroup id: all invocations of a workgroup share their output channels (and
  // so their weights).
  let g0 = gz * ${cv}u;
${lines.join('\n')}
}
`;
  return defineKernel({ key: conv2dVariantKey(s), directives: subgroups + elementEnable(s.element), storage: conv2dBindings(s.element), uniforms: CONV2D_PARAMS, body });
}

/**
 * Accumulators, then the loop over input channels: per channel the invocation's input window
 * (with padding and the fused input transform in its row and column offsets) and the
 * weights of its cv groups, then every FMA.
 */
function emitMainLoop(out: Lines, s: ConvVariantSpec): void {
  const { k } = s;
  const { px, py, cv, subgroup: sg } = s.tile;
  const emit = out.emit.bind(out);
  const pad = (k - 1) / 2;
  // Up to 3×3 every tap is unrolled and the whole input window is loaded once per channel.
  // Larger kernels loop over kernel rows, one window row at a time.
  const kRows = unrolledKernelRows(k);
  const loopRows = kRows < k;
  if (loopRows && py !== 1) throw new Error(`conv2d: a ${k}×${k} kernel needs a tile of one row`);
  const cols = range(px + k - 1);
  const rows = range(py + kRows - 1);
  const groups = range(cv);

  // Offsets and "inside the image" masks of the input rows and columns this invocation reads.
  for (const j of cols) {
    emit(2, `let xi${j} = i32(x0) + ${j - pad};`);
    emit(2, `let mx${j} = xi${j} >= 0 && xi${j} < i32(u.width);`);
    emit(2, `let cx${j} = col_off(u32(clamp(xi${j}, 0, i32(u.width) - 1)));`);
  }
  const rowSetup = (indent: number, ky: string) => {
    for (const r of rows) {
      emit(indent, `let yi${r} = i32(y0) + ${r - pad}${ky};`);
      emit(indent, `let my${r} = yi${r} >= 0 && yi${r} < i32(u.height);`);
      emit(indent, `let ry${r} = row_off(u32(clamp(yi${r}, 0, i32(u.height) - 1)));`);
    }
  };
  if (!loopRows) rowSetup(2, '');
  // Accumulators start at the bias.
  for (const i of groups) {
    emit(2, `let bias${i} = wts[u.bias_offset + g0 + ${i}u];`);
    for (const q of range(py)) for (const p of range(px)) emit(2, `var a${i}_${q}_${p} = bias${i};`);
  }
  // Invocations wholly outside the output skip the channel loop, as a subgroup: the last
  // workgroup row and column reach up to 31 pixels past the edge, and a subgroup whose every
  // lane is outside would otherwise compute clamped garbage for nothing. Skipping per
  // subgroup keeps the broadcasts' lanes all active.
  emit(2, `let inside = x0 < u.width && y0 < u.height;`);
  emit(2, `let cin_run = select(0u, u.cin, ${sg ? 'subgroupAny(inside)' : 'inside'});`);
  emit(2, `for (var c = 0u; c < cin_run; c++) {`);
  emit(4, `let cb = chan_base(in_base, c);`);
  let at = 4;
  if (loopRows) {
    emit(4, `for (var ky = 0u; ky < ${k}u; ky++) {`);
    at = 6;
    rowSetup(at, ' + i32(ky)');
  }
  for (const r of rows) for (const j of cols) emit(at, `let v${r}_${j} = select(0.0, f32(src[cb + ry${r} + cx${j}]), my${r} && mx${j});`);
  // The weights of this channel (and kernel row) for the tile's cv groups are one contiguous
  // block of cv × taps vec4s (see conv2d-weights.ts).
  const taps = kRows * k;
  const block = cv * taps;
  emit(at, `let wb = gz * u.w_stride + c * ${cv * k * k}u${loopRows ? ` + ky * ${block}u` : ''};`);
  // With subgroups, lane l loads vec4s l, l + S, … of the block (clamped: the tail is unused).
  if (sg) for (const t of range(Math.ceil(block / sg))) emit(at, `let wl${t} = wts[wb + min(${t * sg}u + lane, ${block - 1}u)];`);
  const weight = (f: number) => (sg ? `subgroupBroadcast(wl${Math.floor(f / sg)}, ${f % sg}u)` : `wts[wb + ${f}u]`);
  // One accumulator at a time through all its taps, so it can stay in a register for the
  // whole chain: ordered tap by tap, every FMA reloaded and spilled one of the cv·py·px
  // accumulators, which do not fit a CPU's registers (on lavapipe 1.4× slower at 16×2×4,
  // 2–2.5× at 16×4×4).
  for (const i of groups) {
    for (const tap of range(taps)) emit(at, `let w${i}_${tap} = ${weight(i * taps + tap)};`);
    for (const q of range(py)) {
      for (const p of range(px)) {
        for (const tap of range(taps)) {
          const [ty, kx] = [Math.floor(tap / k), tap % k];
          emit(at, `a${i}_${q}_${p} = fma(w${i}_${tap}, vec4f(v${q + ty}_${p + kx}), a${i}_${q}_${p});`);
        }
      }
    }
  }
  if (loopRows) emit(4, `}`);
  emit(2, `}`);
}

/**
 * Bias is already in; activation, residuals, then the stores, as a loop over the
 * accumulators (copied into an array). Unrolled, the stores (every one a per-lane loop with
 * a bounds check on lavapipe) tripled the time lavapipe takes to JIT-compile the shader
 * (2.8 s against 8.9 s for 16×4×4) for a step that runs once per invocation.
 */
function emitEpilogue(out: Lines, s: ConvVariantSpec): void {
  const { px, py, cv } = s.tile;
  const emit = out.emit.bind(out);
  const slope = s.activation === 'prelu' ? 'slope4' : 'vec4f(u.slope)';
  const activation = s.activation === 'leaky' ? 'leaky_relu' : s.activation;
  const count = cv * py * px;
  emit(2, `var acc: array<vec4f, ${count}>;`);
  for (const i of range(cv)) for (const q of range(py)) for (const p of range(px)) emit(2, `acc[${(i * py + q) * px + p}] = a${i}_${q}_${p};`);
  emit(2, `for (var i = 0u; i < ${count}u; i++) {`);
  emit(4, `let p = i % ${px}u;`);
  emit(4, `let q = (i / ${px}u) % ${py}u;`);
  emit(4, `let co = (g0 + i / ${py * px}u) * 4u;`);
  emit(4, `if (x0 + p < u.width && y0 + q < u.height) {`);
  if (s.activation === 'prelu') emit(6, `let slope4 = wts[u.prelu_offset + co / 4u];`);
  emit(6, `let act4 = ${activationWgsl(activation, 'acc[i]', slope, 'vec4f')};`);
  emit(6, `for (var l = 0u; l < 4u && co + l < u.cout; l++) {`);
  emit(8, `let o = (co + l) * plane + (y0 + q) * u.width + x0 + p;`);
  emit(8, `dst[out_base + o] = to_elem(with_residuals(act4[l], image, o));`);
  emit(6, `}`);
  emit(4, `}`);
  emit(2, `}`);
}
