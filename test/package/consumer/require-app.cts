// A CommonJS TypeScript file (NodeNext): require() of the ES-module package, as Node ≥ 20.19 allows.
import wgsr = require('wgsr');
import wgsrNode = require('wgsr/node');

export function bytesOfDefaultModel(): Uint8Array {
  const up: Promise<wgsr.Upscaler> = wgsrNode.createUpscaler(wgsrNode.defaultModelPath());
  void up;
  return wgsrNode.defaultModel();
}
