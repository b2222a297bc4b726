// Run in the consumer project: the installed package imported as ES modules, its bundled model,
// and one small image upscaled on the GPU through it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as core from 'wgsr';
import * as node from 'wgsr/node';

assert.equal(typeof core.createUpscaler, 'function');
// These two are wgsr/node's own: they take paths and make a server device when none is given.
const nodeOwn = ['createUpscaler', 'createTrainer'];
for (const name of nodeOwn) {
  assert.equal(typeof core[name], 'function', `wgsr exports ${name}`);
  assert.notEqual(node[name], core[name], `wgsr/node's ${name} is its own`);
}
for (const name of Object.keys(core)) if (!nodeOwn.includes(name)) assert.equal(node[name], core[name], `wgsr/node re-exports ${name}`);
for (const name of ['defaultModel', 'defaultModelPath', 'defaultDenoisingModel', 'defaultDenoisingModelPath', 'readModelPath', 'readImage', 'readImageWithMetadata', 'decodeImageAsync', 'encodeImageAsync', 'writeImage', 'createServerDevice']) {
  assert.equal(typeof node[name], 'function', `wgsr/node exports ${name}`);
}
const modelUrl = new URL(import.meta.resolve('wgsr/models/default/wgsr-compact-x4.safetensors'));
assert.deepEqual(node.defaultModel(), new Uint8Array(readFileSync(modelUrl)), 'defaultModel() is the shipped file');
const denoisingUrl = new URL(import.meta.resolve('wgsr/models/default/wgsr-compact-denoise-x4.safetensors'));
assert.deepEqual(node.defaultDenoisingModel(), new Uint8Array(readFileSync(denoisingUrl)), 'defaultDenoisingModel() is the shipped file');
assert.equal(JSON.parse(readFileSync(new URL(import.meta.resolve('wgsr/package.json')), 'utf8')).name, 'wgsr');
// The core refuses a path, and its hint points to wgsr/node, which takes one.
await assert.rejects(core.createUpscaler('model.pth'), (e) => e.code === 'BAD_ARGUMENT' && e.message.includes('"wgsr/node", which takes a path'));

// A flat gray 6×5 image through the bundled model, loaded by path: ×4, and still about that gray.
const up = await node.createUpscaler(node.defaultModelPath());
assert.equal(up.info.arch, 'SRVGGNetCompact');
const out = await up.upscale({ width: 6, height: 5, channels: 3, bitDepth: 8, data: new Uint8Array(6 * 5 * 3).fill(128) });
up.destroy();
assert.deepEqual([out.width, out.height, out.channels, out.bitDepth], [24, 20, 3, 8]);
const mean = out.data.reduce((a, b) => a + b, 0) / out.data.length;
// A trained residual network leaves a flat image nearly flat (tolerance: 8 levels of the mean).
assert.ok(Math.abs(mean - 128) <= 8, `mean ${mean.toFixed(1)} of the upscaled flat gray 128`);
console.log(`esm: imports, defaultModel(), ${up.info.arch} ×${up.info.scale} on the GPU (mean ${mean.toFixed(1)})`);
