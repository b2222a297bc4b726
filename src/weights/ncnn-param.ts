import { modelError } from './model-error.js';

/**
 * The text `.param` file of an ncnn model (what realesrgan-ncnn-vulkan and Upscayl ship):
 *
 *     7767517
 *     <layer count> <blob count>
 *     <type> <name> <input count> <output count> <input blobs…> <output blobs…> <k=v …>
 *
 * one line per layer. A value is an int, a float (written with '.' or 'e'), a string, or an
 * array: `k=v1,v2,…`, or the old form `-(23300+k)=n,v1,…,vn`. ncnn keeps an int's or a float's
 * bits in one union and reads them as the type the layer asks for, so a float written as `4`
 * would be read as a bit pattern; here asking for the other type is an error instead. Nothing is
 * allocated from a count in the file: the counts are checked against what the lines hold.
 */

/** ncnn's magic number, the first token of every text .param file. */
const MAGIC = 7767517;
/** ncnn::ParamDict holds ids 0..31 (NCNN_MAX_PARAM_COUNT). */
const MAX_PARAM_ID = 31;
/** An old-style array is written under -(23300 + id). */
const ARRAY_KEY_BASE = -23300;

export type NcnnValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'array'; readonly values: readonly number[]; readonly float: boolean }
  | { readonly kind: 'string'; readonly value: string };

export interface NcnnLayer {
  readonly type: string;
  readonly name: string;
  /** 1-based line in the .param file, for error messages. */
  readonly line: number;
  readonly bottoms: readonly string[];
  readonly tops: readonly string[];
  readonly params: ReadonlyMap<number, NcnnValue>;
}

export interface NcnnParamFile {
  readonly source: string;
  readonly layers: readonly NcnnLayer[];
}

/** "line 12 (Convolution Conv_4)": where a layer is, for messages. */
export function where(layer: NcnnLayer): string {
  return `line ${layer.line} (${layer.type} ${layer.name})`;
}

export function parseNcnnParam(bytes: Uint8Array, source: string): NcnnParamFile {
  const bad = (message: string) => modelError('BAD_MODEL', source, `bad ncnn .param file: ${message}.`);
  // The binary form (.param.bin, written by ncnn2mem) starts with the magic as a 32-bit int.
  if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true) === MAGIC) {
    throw modelError('UNSUPPORTED_MODEL', source, 'this is a binary ncnn .param.bin (from ncnn2mem); wgsr reads the text .param that ncnn models ship with.');
  }
  const lines = new TextDecoder('utf-8').decode(bytes).split('\n');
  const tokens = (i: number) => lines[i]!.split(/[ \t\r\f\v]+/).filter((t) => t.length > 0);

  let at = 0;
  const nextLine = (): number => {
    while (at < lines.length && tokens(at).length === 0) at++;
    return at < lines.length ? at++ : -1;
  };

  const magicLine = nextLine();
  const magic = magicLine < 0 ? [] : tokens(magicLine);
  if (magic.length !== 1 || magic[0] !== String(MAGIC)) {
    throw bad(`the first line should be the magic number ${MAGIC} but is ${JSON.stringify((magic.join(' ') || '(empty)').slice(0, 40))}; this is not an ncnn model, or one from an ncnn older than 2018`);
  }
  const countsLine = nextLine();
  const counts = countsLine < 0 ? [] : tokens(countsLine).map(parseIntToken);
  if (counts.length !== 2 || counts.some((c) => c === undefined || c <= 0)) {
    throw bad(`line ${countsLine + 1 || 2} should hold the layer count and the blob count, two positive integers`);
  }
  const [layerCount, blobCount] = counts as [number, number];

  const layers: NcnnLayer[] = [];
  const blobs = new Set<string>();
  for (let i = nextLine(); i >= 0; i = nextLine()) {
    const layer = parseLayer(tokens(i), i + 1, source);
    for (const name of [...layer.bottoms, ...layer.tops]) blobs.add(name);
    layers.push(layer);
  }
  if (layers.length !== layerCount) throw bad(`line ${countsLine + 1} declares ${layerCount} layers but the file has ${layers.length} layer lines; it is truncated or was edited`);
  if (blobs.size !== blobCount) throw bad(`line ${countsLine + 1} declares ${blobCount} blobs but the layers name ${blobs.size}; it is truncated or was edited`);
  return { source, layers };
}

function parseLayer(tokens: string[], line: number, source: string): NcnnLayer {
  const bad = (message: string) => modelError('BAD_MODEL', source, `bad ncnn .param file: line ${line}: ${message}.`);
  if (tokens.length < 4) throw bad(`a layer line needs "type name inputs outputs …", found ${JSON.stringify(tokens.join(' ').slice(0, 60))}`);
  const [type, name] = tokens as [string, string];
  const inputs = parseIntToken(tokens[2]!);
  const outputs = parseIntToken(tokens[3]!);
  if (inputs === undefined || outputs === undefined || inputs < 0 || outputs < 0) {
    throw bad(`${type} ${name}: the input and output counts must be non-negative integers, found ${JSON.stringify(tokens[2])} and ${JSON.stringify(tokens[3])}`);
  }
  const blobEnd = 4 + inputs + outputs;
  if (blobEnd > tokens.length) throw bad(`${type} ${name} declares ${inputs} inputs and ${outputs} outputs but the line names only ${tokens.length - 4} blobs`);
  const blobNames = tokens.slice(4, blobEnd);
  const misplaced = blobNames.find((b) => /^-?\d+=/.test(b));
  if (misplaced) throw bad(`${type} ${name}: "${misplaced}" stands where a blob name should; the input/output counts are wrong`);
  const params = parseParams(tokens.slice(blobEnd), (message) => bad(`${type} ${name}: ${message}`));
  return { type, name, line, bottoms: blobNames.slice(0, inputs), tops: blobNames.slice(inputs), params };
}

/**
 * `k=v` pairs. A quoted string may hold spaces, so tokens are re-joined until its closing quote.
 */
function parseParams(tokens: string[], bad: (message: string) => Error): Map<number, NcnnValue> {
  const params = new Map<number, NcnnValue>();
  for (let i = 0; i < tokens.length; i++) {
    let token = tokens[i]!;
    const eq = token.indexOf('=');
    const key = eq > 0 ? parseIntToken(token.slice(0, eq)) : undefined;
    if (key === undefined) throw bad(`"${token.slice(0, 40)}" is not a key=value parameter`);
    if (token[eq + 1] === '"') {
      while (!closesQuote(token.slice(eq + 2)) && i + 1 < tokens.length) token += ` ${tokens[++i]}`;
    }
    const isOldArray = key <= ARRAY_KEY_BASE;
    const id = isOldArray ? ARRAY_KEY_BASE - key : key;
    if (id < 0 || id > MAX_PARAM_ID) throw bad(`parameter key ${key} is outside ncnn's range (ids 0..${MAX_PARAM_ID}, arrays -23300..-23331)`);
    if (params.has(id)) throw bad(`parameter ${id} is given twice`);
    const text = token.slice(eq + 1);
    const value = isOldArray ? parseOldArray(text, id, bad) : parseValue(text, id, bad);
    params.set(id, value);
  }
  return params;
}

function closesQuote(rest: string): boolean {
  return rest.endsWith('"');
}

function parseValue(text: string, id: number, bad: (message: string) => Error): NcnnValue {
  if (text.startsWith('"') || /^[A-Za-z]/.test(text)) {
    if (text.startsWith('"') && !closesQuote(text.slice(1))) throw bad(`parameter ${id}: the string ${text.slice(0, 40)} has no closing quote`);
    return { kind: 'string', value: text.startsWith('"') ? text.slice(1, -1) : text };
  }
  const parts = text.split(',');
  if (parts.length === 1) {
    const n = parseNumber(text);
    if (!n) throw bad(`parameter ${id}: "${text.slice(0, 40)}" is not a number`);
    return n.float ? { kind: 'float', value: n.value } : { kind: 'int', value: n.value };
  }
  return array(parts, id, bad);
}

/** `-23310=2,0.2,1.0`: the element count, then the elements. */
function parseOldArray(text: string, id: number, bad: (message: string) => Error): NcnnValue {
  const [countText, ...parts] = text.split(',');
  const count = parseIntToken(countText ?? '');
  if (count === undefined || count < 0) throw bad(`array parameter ${id}: "${(countText ?? '').slice(0, 20)}" is not an element count`);
  if (count !== parts.length) throw bad(`array parameter ${id} declares ${count} elements but lists ${parts.length}`);
  if (count === 0) return { kind: 'array', values: [], float: false };
  return array(parts, id, bad);
}

function array(parts: string[], id: number, bad: (message: string) => Error): NcnnValue {
  const numbers = parts.map(parseNumber);
  const wrong = numbers.findIndex((n) => !n);
  if (wrong >= 0) throw bad(`array parameter ${id}: element ${wrong} "${parts[wrong]!.slice(0, 20)}" is not a number`);
  const float = numbers[0]!.float;
  if (numbers.some((n) => n!.float !== float)) throw bad(`array parameter ${id} mixes integers and floats, which ncnn would misread`);
  return { kind: 'array', values: numbers.map((n) => n!.value), float };
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** ncnn's rule: a value with '.' or 'e' is a float (kept to float32 precision), else an int. */
function parseNumber(text: string): { value: number; float: boolean } | undefined {
  if (/[.eE]/.test(text)) return FLOAT.test(text) ? { value: Math.fround(Number(text)), float: true } : undefined;
  const value = parseIntToken(text);
  return value === undefined ? undefined : { value, float: false };
}

/** A 32-bit signed integer, as ncnn's %d reads one; anything else is undefined. */
function parseIntToken(text: string): number | undefined {
  if (!INT.test(text)) return undefined;
  const value = Number(text);
  return value >= -(2 ** 31) && value < 2 ** 31 ? value : undefined;
}

// --- typed access -----------------------------------------------------------------------------

/** An int parameter, or `fallback` when absent; a float or array there is an error. */
export function intParam(layer: NcnnLayer, id: number, fallback: number, source: string): number {
  const v = layer.params.get(id);
  if (v === undefined) return fallback;
  if (v.kind !== 'int') throw wrongType(layer, id, 'an integer', v, source);
  return v.value;
}

/** A float parameter, or `fallback` when absent. */
export function floatParam(layer: NcnnLayer, id: number, fallback: number, source: string): number {
  const v = layer.params.get(id);
  if (v === undefined) return fallback;
  if (v.kind !== 'float') throw wrongType(layer, id, 'a float (written with "." or "e")', v, source);
  return v.value;
}

/** A float array parameter, or undefined when absent. */
export function floatsParam(layer: NcnnLayer, id: number, source: string): readonly number[] | undefined {
  const v = layer.params.get(id);
  if (v === undefined) return undefined;
  if (v.kind !== 'array' || (v.values.length > 0 && !v.float)) throw wrongType(layer, id, 'an array of floats', v, source);
  return v.values;
}

function wrongType(layer: NcnnLayer, id: number, expected: string, v: NcnnValue, source: string): Error {
  const found = v.kind === 'array' ? `an array of ${v.float ? 'floats' : 'integers'}` : v.kind === 'string' ? 'a string' : `${v.kind === 'int' ? 'the integer' : 'the float'} ${v.value}`;
  return modelError('BAD_MODEL', source, `bad ncnn .param file: ${where(layer)}: parameter ${id} should be ${expected} but is ${found}.`);
}
