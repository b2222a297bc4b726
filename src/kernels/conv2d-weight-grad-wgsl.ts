/**
 * WGSL for conv2d-weight-grad.ts, generated per variant (kernel size, tile, vec4 or scalar
 * loads, subgroup size); every shape and offset is a uniform.
 *
 * The reduction runs over pixels, so the pixels go in the vectors: an invocation holds, for one
 * input channel i and `outChannels` output channels o, one vec4 accumulator per (o, kernel row,
 * kernel column), each summing gy[o, y, x..x+3] · x[i, y + ky − p, x + kx − p .. + 3] over
 * strips of 4 pixels; the 4 lanes are added at the end. Per strip it loads one vec4 of gy per
 * output channel and, per kernel row, the input window around the strip (three vec4s when rows
 * are whole vec4s: the taps are swizzles of them), for outChannels·rows·k vec4 FMAs. On a CPU
 * adapter every load costs as much as many FMAs whatever its width (see conv2d-wgsl.ts), which
 * is why the loads are vec4s where the shapes allow (`vec`: widths, offsets and strides
 * multiples of 4) and why a strip's gy is loaded once for all the taps.
 *
 * The invocations of a workgroup are consecutive input channels with the same output channels
 * and rows, so they all need the same gy: with subgroups of a known size S, lane l loads the
 * gy of output channel l (and l + S, …) and the others take it by subgroupBroadcast. Lanes past
 * the last input channel compute on a clamped channel and store nothing, so every lane stays
 * active for the broadcasts; every loop bound is the same for the whole workgroup.
 */
export interface WeightGradSpec {
  readonly k: number;
  /** Output channels per invocation. */
  readonly outChannels: number;
  /** Kernel rows per invocation (k, or 1 for large kernels: the rest are other workgroups). */
  readonly kernelRows: number;
  readonly vec: boolean;
  readonly subgroup: number;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

class Lines {
  readonly lines: string[] = [];
  emit(indent: number, text: string): void {
    this.lines.push(' '.repeat(indent) + text);
  }
}

export function emitWeightGradLoop(s: WeightGradSpec, lanes: number, band: number): string {
  const { k, outChannels: ot, kernelRows: kr, vec, subgroup: sg } = s;
  const p = (k - 1) / 2;
  const out = new Lines();
  const e = out.emit.bind(out);
  const os = range(ot);
  const rs = range(kr);
  const kxs = range(k);
  for (const o of os) {
    for (const r of rs) for (const kx of kxs) e(2, `var a${o}_${r}_${kx} = vec4f(0.0);`);
    e(2, `var bs${o} = vec4f(0.0);`);
  }
  e(2, `for (var y = y_start; y < y_end; y++) {`);
  for (const r of rs) {
    e(4, `let yi${r} = i32(y) + i32(kyb * ${kr}u) + ${r - p};`);
    e(4, `let my${r} = yi${r} >= 0 && yi${r} < i32(u.height);`);
    e(4, `let ry${r} = u32(clamp(yi${r}, 0, i32(u.height) - 1)) * wu;`);
  }
  e(4, `let grow = gbase + y * wu;`);
  e(4, `for (var s = 0u; s < strips; s++) {`);
  emitGyLoads(e, s, os);
  if (vec) emitVecWindow(e, rs, p);
  else emitScalarWindow(e, rs, p, k);
  for (const o of os) {
    for (const r of rs) for (const kx of kxs) e(6, `a${o}_${r}_${kx} = fma(g${o}, t${r}_${kx}, a${o}_${r}_${kx});`);
    e(6, `bs${o} += g${o};`);
  }
  e(4, `}`);
  e(2, `}`);
  emitStores(e, s, os, rs, kxs);
  const laneBuiltin = sg ? ', @builtin(subgroup_invocation_id) lane: u32' : '';
  return `@compute @workgroup_size(${lanes}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u${laneBuiltin}) {
  let i_raw = wid.x * ${lanes}u + lid.x;
  let i = min(i_raw, u.cin - 1u);
  let og = wid.y / u.k_blocks;
  let kyb = wid.y % u.k_blocks;
  let o0 = og * ${ot}u;
  let chunk = wid.z;
  let b = chunk / u.bands;
  let y_start = (chunk % u.bands) * ${band}u;
  let y_end = min(y_start + ${band}u, u.height);
  // Row length and plane in load units (vec4s or floats).
  let wu = ${vec ? 'u.width / 4u' : 'u.width'};
  let plane = u.height * wu;
  let strips = (u.width + 3u) / 4u;
  let xbase = u.x_off + b * u.x_stride + i * plane;
  let gbase = u.gy_off + b * u.gy_stride;
${out.lines.join('\n')}
}
`;
}

/** g<o>: gy[o0 + o, y, strip] as a vec4 (zero past the channels or the row's end). */
function emitGyLoads(e: (indent: number, text: string) => void, s: WeightGradSpec, os: number[]): void {
  const { vec, subgroup: sg, outChannels: ot } = s;
  const load = (o: string) => {
    const ch = `min(${o}, u.cout - 1u) * plane`;
    const valid = `${o} < u.cout`;
    if (vec) return `select(vec4f(0.0), gys[grow + ${ch} + s], ${valid})`;
    const lane = (l: number) => `select(0.0, gys[grow + ${ch} + min(s * 4u + ${l}u, u.width - 1u)], ${valid} && s * 4u + ${l}u < u.width)`;
    return `vec4f(${range(4).map(lane).join(', ')})`;
  };
  if (!sg) {
    for (const o of os) e(6, `let g${o} = ${load(`o0 + ${o}u`)};`);
    return;
  }
  for (const t of range(Math.ceil(ot / sg))) e(6, `let gl${t} = ${load(`o0 + min(${t * sg}u + lane, ${ot - 1}u)`)};`);
  for (const o of os) e(6, `let g${o} = subgroupBroadcast(gl${Math.floor(o / sg)}, ${o % sg}u);`);
}

/**
 * Whole-vec4 rows: the strip's vec4 and its neighbours hold x − 4 … x + 7, which covers every
 * tap of a kernel up to 9 wide; t<r>_<kx> is the tap's vec4, made of their lanes.
 */
function emitVecWindow(e: (indent: number, text: string) => void, rs: number[], p: number): void {
  for (const r of rs) {
    e(6, `let B${r} = select(vec4f(0.0), xs[xbase + ry${r} + s], my${r});`);
    if (p > 0) {
      e(6, `let A${r} = select(vec4f(0.0), xs[xbase + ry${r} + max(s, 1u) - 1u], my${r} && s > 0u);`);
      e(6, `let C${r} = select(vec4f(0.0), xs[xbase + ry${r} + min(s + 1u, strips - 1u)], my${r} && s + 1u < strips);`);
    }
    const lane = (j: number) => `${'ABC'[j >> 2]}${r}.${'xyzw'[j & 3]}`;
    for (let kx = 0; kx < 2 * p + 1; kx++) {
      const start = 4 - p + kx;
      e(6, `let t${r}_${kx} = ${start === 4 ? `B${r}` : `vec4f(${range(4).map((l) => lane(start + l)).join(', ')})`};`);
    }
  }
}

/** Any row length: the window's floats one by one, masked outside the image. */
function emitScalarWindow(e: (indent: number, text: string) => void, rs: number[], p: number, k: number): void {
  const cols = range(k + 3);
  for (const j of cols) {
    e(6, `let xc${j} = i32(s * 4u) + ${j - p};`);
    e(6, `let mx${j} = xc${j} >= 0 && xc${j} < i32(u.width);`);
    e(6, `let cx${j} = u32(clamp(xc${j}, 0, i32(u.width) - 1));`);
  }
  for (const r of rs) {
    for (const j of cols) e(6, `let w${r}_${j} = select(0.0, xs[xbase + ry${r} + cx${j}], my${r} && mx${j});`);
    for (let kx = 0; kx < k; kx++) e(6, `let t${r}_${kx} = vec4f(${range(4).map((l) => `w${r}_${kx + l}`).join(', ')});`);
  }
}

/** Each accumulator's four lanes added, at [o, i, ky, kx]'s place; the bias once per output channel. */
function emitStores(e: (indent: number, text: string) => void, s: WeightGradSpec, os: number[], rs: number[], kxs: number[]): void {
  const { k, kernelRows: kr } = s;
  e(2, `let base = u.partial_off + chunk;`);
  e(2, `if (i_raw < u.cin) {`);
  for (const o of os) {
    e(4, `if (o0 + ${o}u < u.cout) {`);
    for (const r of rs) {
      e(6, `let row${o}_${r} = (((o0 + ${o}u) * u.cin + i) * ${k}u + kyb * ${kr}u + ${r}u) * ${k}u;`);
      for (const kx of kxs) e(6, `partials[base + (row${o}_${r} + ${kx}u) * u.chunks] = dot(a${o}_${r}_${kx}, vec4f(1.0));`);
    }
    e(6, `if (u.with_bias != 0u && i_raw == 0u && kyb == 0u) {`);
    e(8, `partials[base + (u.cout * u.cin * ${k * k}u + o0 + ${o}u) * u.chunks] = dot(bs${o}, vec4f(1.0));`);
    e(6, `}`);
    e(4, `}`);
  }
  e(2, `}`);
}
