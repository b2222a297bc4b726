import type { ElementType } from '../gpu/buffers.js';
import { activationWgsl } from './activations.js';
import { unrolledKernelRows } from './conv2d-tile.js';
import { conv2dBindings, CONV2D_PARAMS, IMAGE_WGSL, Lines, range, TRANSFORM_WGSL, WITH_RESIDUALS_WGSL, type ConvActivationKind, type ConvTransformKind } from './conv2d-wgsl.js';
import { elementEnable, elementWgsl } from './element.js';
import { defineKernel, type KernelVariant } from './program.js';

/**
 * WGSL for the workgroup-tiled implicit-GEMM conv: the conv as a matrix product of output
 * pixels × output channels over cin·k² terms, tiled for a GPU rather than for a CPU.
 *
 * A workgroup computes a block of BY rows × BX pixels × BC output channels. Per block of CB
 * input channels it stages, in `var<workgroup>`, the input tile with its halo
 * (CB × (BY + k − 1) × (BX + k − 1), with padding and the fused upsample / unshuffle read
 * applied while staging) and the weight slab (CB × k² × BC/4 vec4s, from the register
 * tile's packed layout, so both variants share one weights buffer), then every invocation
 * accumulates 4 pixels × 4 vec4 channel groups — 64 accumulators, within what a GPU keeps in
 * registers at good occupancy (the register tile holds 256, which spills on a GPU). Weights
 * are read as vec4s (from storage and from the slab); activations are planar scalars at
 * arbitrary element offsets, so they are staged one scalar per invocation and load.
 *
 * With `math: 'f16'` (shader-f16) the tiles are staged as f16 and the FMAs run in f16 on
 * partial sums that are added into the f32 accumulators after every input channel (every
 * kernel row above 3×3): f16 arithmetic on at most 9 products (k ≤ 3) or k, f32 across them.
 * Flushing once per staged block of 8 channels (72 products) missed the f16 budget on the
 * fixtures (RRDBNet ×2: 1.4× over; SRGAN's 9×9 convs: 4.5× over).
 *
 * Not done: double-buffered channel blocks (one barrier pair per block instead; staging is
 * CB·k² weights and a halo tile against CB·k²·64 FMAs per invocation).
 */
export interface GemmTile {
  /** Invocations along x (4 pixels each), along y (1 row each) and along channels (16 each). */
  readonly tx: number;
  readonly ty: number;
  readonly tc: number;
  /** Input channels staged per block. */
  readonly cb: number;
}

export interface GemmVariantSpec {
  readonly k: number;
  readonly transform: ConvTransformKind;
  readonly activation: ConvActivationKind;
  readonly element: ElementType;
  readonly math: 'f32' | 'f16';
  readonly tile: GemmTile;
  /** The cv of the packed weights' register tile (their layout; see conv2d-weights.ts). */
  readonly packCv: number;
}

/** Pixels along x and vec4 channel groups per invocation: 4 × 4 × 4 = 64 accumulators. */
export const GEMM_PIXELS = 4;
export const GEMM_GROUPS = 4;

/** Workgroup shapes tried, largest first: (tx, ty, tc) → 16·tc channels × ty rows × 4·tx pixels. */
const SHAPES: readonly { tx: number; ty: number; tc: number }[] = [
  { tx: 8, ty: 8, tc: 4 },
  { tx: 4, ty: 8, tc: 4 },
  { tx: 4, ty: 8, tc: 2 },
  { tx: 4, ty: 4, tc: 2 },
  { tx: 4, ty: 4, tc: 1 },
];

export const gemmInvocations = (t: GemmTile): number => t.tx * t.ty * t.tc;

/** Bytes of workgroup memory a tile stages. */
export function gemmWorkgroupBytes(t: GemmTile, k: number, math: 'f32' | 'f16'): number {
  const scalar = math === 'f16' ? 2 : 4;
  const halo = t.cb * (t.ty + k - 1) * (GEMM_PIXELS * t.tx + k - 1);
  const slab = t.cb * k * k * GEMM_GROUPS * t.tc;
  return scalar * halo + 4 * scalar * slab;
}

/**
 * The tile for a conv on a device: the largest workgroup the adapter's limits allow (and that
 * the conv's channels fill: a 3-channel output gets one channel slot), staging as many input
 * channels per block as its workgroup memory holds (up to 8). Undefined when nothing fits.
 */
export function chooseGemmTile(k: number, coutGroups: number, math: 'f32' | 'f16', limits: GPUSupportedLimits): GemmTile | undefined {
  let slotsNeeded = 1;
  while (slotsNeeded * GEMM_GROUPS < coutGroups && slotsNeeded < 4) slotsNeeded *= 2;
  for (const s of SHAPES) {
    const shape = { ...s, tc: Math.min(s.tc, slotsNeeded) };
    const n = gemmInvocations({ ...shape, cb: 1 });
    if (n > limits.maxComputeInvocationsPerWorkgroup || n > limits.maxComputeWorkgroupSizeX) continue;
    for (const cb of [8, 4, 2, 1]) {
      const tile = { ...shape, cb };
      if (gemmWorkgroupBytes(tile, k, math) <= limits.maxComputeWorkgroupStorageSize) return tile;
    }
  }
  return undefined;
}

export function gemmVariantKey(s: GemmVariantSpec): string {
  const t = s.tile;
  return `conv2d-gemm k${s.k} ${s.transform} ${s.activation} ${t.tc * 16}x${t.ty}x${t.tx * GEMM_PIXELS} cb${t.cb} cv${s.packCv} ${s.element} ${s.math}-math`;
}

const generated = new Map<string, KernelVariant>();

export function gemmConv2dVariant(s: GemmVariantSpec): KernelVariant {
  const key = gemmVariantKey(s);
  let v = generated.get(key);
  if (!v) generated.set(key, (v = generateGemm(s, key)));
  return v;
}

function generateGemm(s: GemmVariantSpec, key: string): KernelVariant {
  const { k, tile, math } = s;
  const { tx, ty, tc, cb } = tile;
  const P = GEMM_PIXELS;
  const G = GEMM_GROUPS;
  const half = math === 'f16';
  const scalar = half ? 'f16' : 'f32';
  const vec = half ? 'vec4h' : 'vec4f';
  const pad = (k - 1) / 2;
  const tw = P * tx + k - 1;
  const th = ty + k - 1;
  const gb = G * tc; // channel groups per workgroup
  const kk = k * k;
  const kRows = unrolledKernelRows(k);
  const wg = gemmInvocations(tile);
  const unrollRows = k <= 3;
  const out = new Lines();
  const emit = out.emit.bind(out);
  const acc = (gi: number, p: number) => `a${gi}_${p}`;
  const part = (gi: number, p: number) => (half ? `h${gi}_${p}` : acc(gi, p));

  for (const gi of range(G)) {
    emit(2, `let b${gi} = select(vec4f(0.0), wts[u.bias_offset + min(g0 + ${gi}u, groups - 1u)], g0 + ${gi}u < groups);`);
    for (const p of range(P)) emit(2, `var ${acc(gi, p)} = b${gi};`);
  }
  emit(2, `for (var c0 = 0u; c0 < u.cin; c0 += ${cb}u) {`);
  emit(4, `workgroupBarrier(); // the previous block's reads are done`);
  // The input tile with its halo: padding and the fused transform applied here, once.
  emit(4, `for (var i = lid; i < ${cb * th * tw}u; i += ${wg}u) {`);
  emit(6, `let c = c0 + i / ${th * tw}u;`);
  emit(6, `let y = i32(by + (i / ${tw}u) % ${th}u) - ${pad};`);
  emit(6, `let x = i32(bx + i % ${tw}u) - ${pad};`);
  emit(6, `var v = 0.0;`);
  emit(6, `if (c < u.cin && y >= 0 && y < i32(u.height) && x >= 0 && x < i32(u.width)) { v = f32(src[chan_base(in_base, c) + row_off(u32(y)) + col_off(u32(x))]); }`);
  emit(6, `xt[i] = ${scalar}(v);`);
  emit(4, `}`);
  // The weight slab: [ci][tap][group of the workgroup], vec4 loads.
  emit(4, `for (var i = lid; i < ${cb * kk * gb}u; i += ${wg}u) {`);
  emit(6, `let g = gw + i % ${gb}u;`);
  emit(6, `let tap = (i / ${gb}u) % ${kk}u;`);
  emit(6, `let c = c0 + i / ${gb * kk}u;`);
  emit(6, `var w = vec4f(0.0);`);
  emit(6, `if (c < u.cin && g < groups) { w = wts[w_index(g, c, tap)]; }`);
  emit(6, half ? `ws[i] = vec4h(clamp(w, vec4f(-65504.0), vec4f(65504.0)));` : `ws[i] = w;`);
  emit(4, `}`);
  emit(4, `workgroupBarrier();`);
  emit(4, `for (var ci = 0u; ci < ${cb}u; ci++) {`);
  // f16 math: partial sums start at zero for every input channel (every kernel row above
  // 3×3), so no f16 sum runs over more than 3·k products, and are added into f32 after it.
  const partials = (at: number) => {
    if (half) for (const gi of range(G)) for (const p of range(P)) emit(at, `var ${part(gi, p)} = vec4h(0.0);`);
  };
  const flush = (at: number) => {
    if (half) for (const gi of range(G)) for (const p of range(P)) emit(at, `${acc(gi, p)} += vec4f(${part(gi, p)});`);
  };
  const taps = (at: number, ky: string) => {
    emit(at, `let xb = (ci * ${th}u + ly + ${ky}) * ${tw}u + lx * ${P}u;`);
    for (const j of range(P + k - 1)) emit(at, `let x${j} = xt[xb + ${j}u];`);
    emit(at, `let wb = (ci * ${kk}u + ${ky} * ${k}u) * ${gb}u + lc * ${G}u;`);
    for (const kx of range(k)) {
      for (const gi of range(G)) {
        emit(at, `let w${kx}_${gi} = ws[wb + ${kx * gb + gi}u];`);
        for (const p of range(P)) emit(at, `${part(gi, p)} = fma(w${kx}_${gi}, ${vec}(x${p + kx}), ${part(gi, p)});`);
      }
    }
  };
  if (unrollRows) {
    partials(6);
    for (const ky of range(k)) {
      emit(6, `{`);
      taps(8, `${ky}u`);
      emit(6, `}`);
    }
    flush(6);
  } else {
    emit(6, `for (var ky = 0u; ky < ${k}u; ky++) {`);
    partials(8);
    taps(8, 'ky');
    flush(8);
    emit(6, `}`);
  }
  emit(4, `}`);
  emit(2, `}`);

  // Epilogue: activation, residuals, stores (a loop, as in the register tile).
  const slope = s.activation === 'prelu' ? 'slope4' : 'vec4f(u.slope)';
  const activation = s.activation === 'leaky' ? 'leaky_relu' : s.activation;
  emit(2, `var acc: array<vec4f, ${G * P}>;`);
  for (const gi of range(G)) for (const p of range(P)) emit(2, `acc[${gi * P + p}] = ${acc(gi, p)};`);
  emit(2, `for (var i = 0u; i < ${G * P}u; i++) {`);
  emit(4, `let x = ox + i % ${P}u;`);
  emit(4, `let g = g0 + i / ${P}u;`);
  emit(4, `if (x < u.width && oy < u.height && g < groups) {`);
  if (s.activation === 'prelu') emit(6, `let slope4 = wts[u.prelu_offset + g];`);
  emit(6, `let act4 = ${activationWgsl(activation, 'acc[i]', slope, 'vec4f')};`);
  emit(6, `for (var l = 0u; l < 4u && g * 4u + l < u.cout; l++) {`);
  emit(8, `let o = (g * 4u + l) * plane + oy * u.width + x;`);
  emit(8, `dst[out_base + o] = to_elem(with_residuals(act4[l], image, o));`);
  emit(6, `}`);
  emit(4, `}`);
  emit(2, `}`);

  const cv = s.packCv;
  const body = /* wgsl */ `${elementWgsl(s.element, true)}
${TRANSFORM_WGSL[s.transform]}
${WITH_RESIDUALS_WGSL}

var<workgroup> xt: array<${scalar}, ${cb * th * tw}>;
var<workgroup> ws: array<${vec}, ${cb * kk * gb}>;

// Where the weights of group g, input channel c and tap (ky, kx) are in the register tile's
// packed layout: [g / cv][c][kernel-row block][g % cv][tap in block].
fn w_index(g: u32, c: u32, tap: u32) -> u32 {
  let ky = tap / ${k}u;
  let kx = tap % ${k}u;
  return (g / ${cv}u) * u.w_stride + c * ${cv * kk}u + (ky / ${kRows}u) * ${kRows * k * cv}u + (g % ${cv}u) * ${kRows * k}u + (ky % ${kRows}u) * ${k}u + kx;
}

@compute @workgroup_size(${wg}, 1, 1)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let lx = lid % ${tx}u;
  let ly = (lid / ${tx}u) % ${ty}u;
  let lc = lid / ${tx * ty}u;
  let bx = wid.x * ${P * tx}u;
  let by = wid.y * ${ty}u;
  let ox = bx + lx * ${P}u;
  let oy = by + ly;${IMAGE_WGSL}
  let gw = gz * ${gb}u;
  let g0 = gw + lc * ${G}u;
  let groups = (u.cout + 3u) / 4u;
  let plane = u.height * u.width;
${out.lines.join('\n')}
}
`;
  const directives = half || s.element === 'f16' ? 'enable f16;\n' : elementEnable(s.element);
  return defineKernel({ key, directives, storage: conv2dBindings(s.element), uniforms: CONV2D_PARAMS, body });
}
