// One large upscale in a process of its own (run by huge.test.ts), so that the peak resident
// memory it reports (VmHWM) is this upscale's alone, not that of every test file sharing the
// test runner's process. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { createServerDevice } from '../../dist/node.js';
import { createUpscaler } from '../../dist/index.js';

const [model, side, budget] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const { device } = await createServerDevice();
const up = await createUpscaler(readFileSync(model), { device, maxMemory: budget });
const data = new Uint8Array(side * side * 3);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
let tiles = 0;
const started = performance.now();
const out = await up.upscale({ width: side, height: side, channels: 3, bitDepth: 8, data }, { onProgress: (_, total) => (tiles = total) });
const seconds = (performance.now() - started) / 1000;
up.destroy();
device.destroy();
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(JSON.stringify({ width: out.width, height: out.height, outBytes: out.data.byteLength, inBytes: data.byteLength, tiles, seconds, peak: hwm ? Number(hwm[1]) * 1024 : process.memoryUsage().rss }));
