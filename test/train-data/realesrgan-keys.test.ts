import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/rng.js';
import { REALESRGAN_DEFAULTS } from '../../src/train/degrade/params.js';
import { drawPlan } from '../../src/train/degrade/plan.js';
import { checkRealEsrganKeys, degradationFromRealEsrganKeys, REALESRGAN_OPTION_KEYS } from '../../src/train/degrade/realesrgan-keys.js';

const WHERE = 'options.json';

describe("Real-ESRGAN's YAML degradation keys", () => {
  it('none given: the published defaults, as a copy (the defaults are never changed)', () => {
    const before = JSON.stringify(REALESRGAN_DEFAULTS);
    const o = degradationFromRealEsrganKeys({}, WHERE);
    expect(o).toEqual(REALESRGAN_DEFAULTS);
    o.first.noise.sigma = [0, 0];
    expect(JSON.stringify(REALESRGAN_DEFAULTS)).toBe(before);
  });

  it('every key lands on its own field, first stage, second stage and the two top-level probabilities', () => {
    const given = {
      kernel_list: ['iso', 'plateau_aniso'],
      kernel_prob: [0.7, 0.3],
      sinc_prob: 0.01,
      blur_sigma: [0.3, 2.9],
      betag_range: [0.6, 3.9],
      betap_range: [1.1, 1.9],
      resize_prob: [0.1, 0.8, 0.1],
      resize_range: [0.2, 1.4],
      gaussian_noise_prob: 0.02,
      noise_range: [2, 29],
      poisson_scale_range: [0.06, 2.9],
      gray_noise_prob: 0.03,
      jpeg_range: [31, 94],
      kernel_list2: ['aniso'],
      kernel_prob2: [1],
      sinc_prob2: 0.04,
      blur_sigma2: [0.4, 1.4],
      betag_range2: [0.7, 3.8],
      betap_range2: [1.2, 1.8],
      resize_prob2: [0.2, 0.5, 0.3],
      resize_range2: [0.35, 1.1],
      gaussian_noise_prob2: 0.05,
      noise_range2: [1, 15],
      poisson_scale_range2: [0.07, 2.4],
      gray_noise_prob2: 0.06,
      jpeg_range2: [50, 95],
      second_blur_prob: 0.4,
      final_sinc_prob: 0.5,
    };
    expect(Object.keys(given).sort()).toEqual([...REALESRGAN_OPTION_KEYS].sort());
    expect(degradationFromRealEsrganKeys(given, WHERE)).toEqual({
      kernelSizes: REALESRGAN_DEFAULTS.kernelSizes,
      first: {
        blur: { kernelList: ['iso', 'plateau_aniso'], kernelProb: [0.7, 0.3], sigma: [0.3, 2.9], betaG: [0.6, 3.9], betaP: [1.1, 1.9], sincProb: 0.01 },
        resize: { prob: [0.1, 0.8, 0.1], range: [0.2, 1.4] },
        noise: { gaussianProb: 0.02, sigma: [2, 29], poissonScale: [0.06, 2.9], grayProb: 0.03 },
        jpeg: [31, 94],
      },
      secondBlurProb: 0.4,
      second: {
        blur: { kernelList: ['aniso'], kernelProb: [1], sigma: [0.4, 1.4], betaG: [0.7, 3.8], betaP: [1.2, 1.8], sincProb: 0.04 },
        resize: { prob: [0.2, 0.5, 0.3], range: [0.35, 1.1] },
        noise: { gaussianProb: 0.05, sigma: [1, 15], poissonScale: [0.07, 2.4], grayProb: 0.06 },
        jpeg: [50, 95],
      },
      finalSincProb: 0.5,
    });
  });

  it('one key changes that one field and leaves the rest at the defaults', () => {
    const o = degradationFromRealEsrganKeys({ noise_range2: [1, 15] }, WHERE);
    expect(o.second.noise.sigma).toEqual([1, 15]);
    expect({ ...o, second: { ...o.second, noise: { ...o.second.noise, sigma: REALESRGAN_DEFAULTS.second.noise.sigma } } }).toEqual(REALESRGAN_DEFAULTS);
  });

  it('the settings reach the draws: second_blur_prob 0 never blurs twice, final_sinc_prob 1 always filters', () => {
    const o = degradationFromRealEsrganKeys({ second_blur_prob: 0, final_sinc_prob: 1 }, WHERE);
    const plans = Array.from({ length: 200 }, (_, i) => drawPlan(Rng.derive(11, i), o));
    expect(plans.every((p) => p.blur2 === undefined && p.sinc !== undefined)).toBe(true);
    // The defaults blur twice in about 80% of draws and skip the final sinc in about 20%.
    const defaults = Array.from({ length: 200 }, (_, i) => drawPlan(Rng.derive(11, i), REALESRGAN_DEFAULTS));
    expect(defaults.filter((p) => p.blur2 !== undefined).length).toBeGreaterThan(120);
    expect(defaults.filter((p) => p.sinc === undefined).length).toBeGreaterThan(10);
  });

  it('keys are sorted, so equal settings compare equal as JSON whatever the order in the file', () => {
    expect(JSON.stringify(checkRealEsrganKeys({ sinc_prob: 0.2, final_sinc_prob: 0.5 }, WHERE))).toBe(JSON.stringify(checkRealEsrganKeys({ final_sinc_prob: 0.5, sinc_prob: 0.2 }, WHERE)));
  });

  it.each([
    [[1, 2], /options\.json: expected a JSON object of Real-ESRGAN's degradation settings/],
    [null, /expected a JSON object/],
    [{ noise_range_2: [1, 15] }, /options\.json: unknown setting "noise_range_2"; the settings are Real-ESRGAN's: kernel_list, .*noise_range2/],
    [{ blur_kernel_size: 21 }, /unknown setting "blur_kernel_size"/],
    [{ sinc_prob: 1.5 }, /sinc_prob must be a probability in \[0, 1\], got 1\.5/],
    [{ second_blur_prob: '0.4' }, /second_blur_prob must be a probability in \[0, 1\], got "0\.4"/],
    [{ noise_range: [30, 1] }, /noise_range must be \[low, high\] with 0 ≤ low ≤ high, got \[30,1\]/],
    [{ blur_sigma: [0, 3] }, /blur_sigma must be \[low, high\] with 0 < low ≤ high/],
    [{ resize_range2: [1.1, 1.5] }, /resize_range2 must be \[low, high\] with 0 < low ≤ 1 ≤ high, got \[1\.1,1\.5\]/],
    [{ jpeg_range: [0, 95] }, /jpeg_range must be \[low, high\] whole JPEG qualities in 1\.\.100/],
    [{ jpeg_range2: [30.5, 95] }, /jpeg_range2 must be \[low, high\] whole JPEG qualities/],
    [{ resize_prob: [0.5, 0.5] }, /resize_prob must be \[up, down, keep\]: three probabilities ≥ 0, not all 0/],
    [{ kernel_list: ['iso', 'box'], kernel_prob: [0.5, 0.5] }, /kernel_list must be a list of iso, aniso, generalized_iso/],
    [{ kernel_list: ['iso'] }, /kernel_list has 1 kernels but kernel_prob 6 weights; give both, of one length/],
    [{ kernel_prob2: [0, 0, 0, 0, 0, 0] }, /kernel_prob2 must be a list of weights ≥ 0, not all 0/],
  ])('%j is refused: %s', (given, message) => {
    expect(() => degradationFromRealEsrganKeys(given as Record<string, unknown>, WHERE)).toThrow(message);
  });
});
