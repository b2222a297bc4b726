// The models the page offers, and their bytes.
import { interpolateStateDicts, loadWeights, WgsrError, writeSafetensors } from '/dist/index.js';

/** The model shipped with wgsr, served by web/serve.mjs from wgsr/node's defaultModelPath(). */
export const BUNDLED = {
  id: 'bundled',
  label: 'wgsr-compact ×4 (bundled, 213 KB)',
  url: '/models/default.safetensors',
  source: 'wgsr-compact-x4.safetensors',
};

/**
 * Its denoising partner (the default fine-tuned on Real-ESRGAN's degradations), from
 * defaultDenoisingModelPath(): not a picker entry of its own but the far end of the bundled
 * model's denoise slider (bundledModel).
 */
export const BUNDLED_DENOISING = {
  label: 'wgsr-compact-denoise ×4 (bundled, 213 KB)',
  url: '/models/default-denoise.safetensors',
  source: 'wgsr-compact-denoise-x4.safetensors',
};

/**
 * Named models (Real-ESRGAN's and others) belong here once the model catalogue exists: entries
 * of the same shape as BUNDLED ({ id, label, url, source }, or { param, bin } URLs for an ncnn
 * pair), shown in the picker's "Named models" group. There are none yet, so the group is hidden.
 */
export const NAMED_MODELS = [];

/** Every model with a URL, by id. */
export function modelEntry(id) {
  return [BUNDLED, ...NAMED_MODELS].find((m) => m.id === id);
}

/**
 * The bundled model at denoise strength S, as `wgsr upscale --denoise-strength S` runs it:
 * S·the denoising model + (1 − S)·the default. 0 is the default's own file and 1 the denoising
 * model's (nothing blended); in between the blend is stored as float32, so it is the CLI's blend
 * exactly (not rounded to f16), and the fine-tune panel can train it like any file.
 * Returns { bytes, source }.
 */
export async function bundledModel(strength) {
  if (strength === 0) return { bytes: await fetchModel(BUNDLED), source: BUNDLED.source };
  const denoising = await fetchModel(BUNDLED_DENOISING);
  if (strength === 1) return { bytes: denoising, source: BUNDLED_DENOISING.source };
  const weights = (bytes, source) => loadWeights(bytes, source).stateDict;
  const blend = interpolateStateDicts(weights(denoising, BUNDLED_DENOISING.source), weights(await fetchModel(BUNDLED), BUNDLED.source), strength);
  const float32 = new Map([...blend].map(([key, t]) => [key, t.dtype === 'float16' ? { ...t, dtype: 'float32' } : t]));
  return { bytes: writeSafetensors(float32), source: `wgsr-compact-x4-denoise-${strength}.safetensors` };
}

async function download(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new WgsrError('IO', `${what}: the server answered ${response.status} ${response.statusText} for ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The bytes of a listed model (ModelBytes for createUpscaler). */
export async function fetchModel(entry) {
  if (entry.param && entry.bin) {
    const [param, bin] = await Promise.all([download(entry.param, entry.label), download(entry.bin, entry.label)]);
    return { param, bin };
  }
  return download(entry.url, entry.label);
}

/**
 * A model from the files a person chose: one .pth/.pt/.safetensors file, or ncnn's .param with
 * its .bin (chosen together). Returns { bytes, source } for createUpscaler.
 */
export async function modelFromFiles(files) {
  const list = [...files];
  const param = list.find((f) => /\.param$/i.test(f.name));
  const bin = list.find((f) => /\.bin$/i.test(f.name));
  const read = async (f) => new Uint8Array(await f.arrayBuffer());
  if (param || bin) {
    if (!param || !bin) {
      const [have, want] = param ? [param.name, '.bin'] : [bin.name, '.param'];
      throw new WgsrError('BAD_ARGUMENT', `${have} is half of an ncnn model: choose it together with its ${want} (select both files at once)`);
    }
    return { bytes: { param: await read(param), bin: await read(bin) }, source: param.name };
  }
  if (list.length !== 1) throw new WgsrError('BAD_ARGUMENT', `choose one model file (.pth, .pt or .safetensors), or an ncnn .param with its .bin; got ${list.length} files`);
  return { bytes: await read(list[0]), source: list[0].name };
}
