import { Rng } from '../../rng.js';
import type { StateDict } from '../../weights/types.js';

/**
 * PyTorch's default initialisation, seeded, for networks built from scratch (one stream per
 * tensor, Rng.derive(seed, 3, index), so adding a layer changes no other layer's values):
 * - nn.Conv2d weight: kaiming_uniform_(a=√5), i.e. U(−b, b) with b = √(6 / ((1 + 5)·fan_in)) = 1/√fan_in;
 *   bias: U(−1/√fan_in, 1/√fan_in). fan_in = in_channels · kh · kw.
 * - nn.PReLU: every slope 0.25.
 * - nn.BatchNorm2d: weight 1, bias 0, running_mean 0, running_var 1, num_batches_tracked 0.
 * - BasicSR's default_init_weights(module, scale): kaiming_normal_ (fan_in, gain √2, so
 *   std = √(2/fan_in)) times `scale`, bias 0 — what RRDBNet's dense blocks get with scale 0.1.
 */
export class Initialiser {
  readonly sd: StateDict = new Map();
  private index = 0;

  constructor(private readonly seed: number) {}

  private stream(): Rng {
    return Rng.derive(this.seed, 3, this.index++);
  }

  /** nn.Conv2d(cin, cout, k) with PyTorch's reset_parameters. */
  conv(name: string, cout: number, cin: number, kernel = 3): void {
    const fanIn = cin * kernel * kernel;
    const bound = 1 / Math.sqrt(fanIn);
    const rng = this.stream();
    const weight = Float32Array.from({ length: cout * fanIn }, () => rng.uniform(-bound, bound));
    const bias = Float32Array.from({ length: cout }, () => rng.uniform(-bound, bound));
    this.sd.set(`${name}.weight`, { shape: [cout, cin, kernel, kernel], data: weight, dtype: 'float32' });
    this.sd.set(`${name}.bias`, { shape: [cout], data: bias, dtype: 'float32' });
  }

  /** nn.Conv2d then BasicSR's default_init_weights(conv, scale): kaiming_normal_ · scale, bias 0. */
  scaledKaimingConv(name: string, cout: number, cin: number, scale: number, kernel = 3): void {
    const fanIn = cin * kernel * kernel;
    const weight = new Float32Array(cout * fanIn);
    this.stream().fillNormal(weight);
    const std = Math.sqrt(2 / fanIn) * scale;
    for (let i = 0; i < weight.length; i++) weight[i]! *= std;
    this.sd.set(`${name}.weight`, { shape: [cout, cin, kernel, kernel], data: weight, dtype: 'float32' });
    this.sd.set(`${name}.bias`, { shape: [cout], data: new Float32Array(cout), dtype: 'float32' });
  }

  /** nn.PReLU(count): slopes 0.25. */
  prelu(name: string, count: number): void {
    this.sd.set(`${name}.weight`, { shape: [count], data: new Float32Array(count).fill(0.25), dtype: 'float32' });
  }

  /** nn.BatchNorm2d(channels) as constructed. */
  batchNorm(name: string, channels: number): void {
    const t = (data: Float32Array) => ({ shape: [channels], data, dtype: 'float32' as const });
    this.sd.set(`${name}.weight`, t(new Float32Array(channels).fill(1)));
    this.sd.set(`${name}.bias`, t(new Float32Array(channels)));
    this.sd.set(`${name}.running_mean`, t(new Float32Array(channels)));
    this.sd.set(`${name}.running_var`, t(new Float32Array(channels).fill(1)));
    this.sd.set(`${name}.num_batches_tracked`, { shape: [], data: new Float32Array(1), dtype: 'int64' });
  }

  /** A tensor with fixed values (EDSR's MeanShift). */
  fixed(key: string, shape: number[], data: Float32Array): void {
    this.sd.set(key, { shape, data, dtype: 'float32' });
  }
}
