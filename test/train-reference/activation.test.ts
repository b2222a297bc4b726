import { describe, expect, it } from 'vitest';
import { activationBackward, activationForward, type ActivationSpec } from '../reference/activation-grad.js';
import { tensor4 } from '../reference/tensor4.js';
import { expectMatches, opFixture } from './fixtures.js';
import { OP_TOLERANCE as TOL } from './tolerance.js';

describe('activations forward and backward against PyTorch', () => {
  const cases: [string, ActivationSpec][] = [
    ['leaky_relu', { kind: 'leaky_relu', slope: 0.2 }], // meta.json: "slope 0.2"
    ['relu', { kind: 'relu' }],
    ['tanh', { kind: 'tanh' }],
  ];
  for (const [name, act] of cases) {
    it(name, () => {
      const f = opFixture(name);
      const x = f.t4('x');
      expectMatches(`${name} y`, activationForward(x, act).data, f.npy('y').data, TOL);
      expectMatches(`${name} gx`, activationBackward(x, act, f.t4('gy')).gx.data, f.npy('gx').data, TOL);
    });
  }

  it('prelu (one slope per channel): gx and the slope gradient', () => {
    const f = opFixture('prelu');
    const x = f.t4('x');
    const act: ActivationSpec = { kind: 'prelu', slopes: f.npy('slope').data };
    expectMatches('prelu y', activationForward(x, act).data, f.npy('y').data, TOL);
    const g = activationBackward(x, act, f.t4('gy'));
    expectMatches('prelu gx', g.gx.data, f.npy('gx').data, TOL);
    expectMatches('prelu gslope', g.gslopes!, f.npy('gslope').data, TOL);
  });
});

describe('activation conventions the fixtures do not reach', () => {
  // torch: relu'(0) = 0; leaky_relu and prelu take the negative branch at 0 (x > 0 is the test).
  const x = tensor4(1, 2, 1, 3, new Float64Array([0, 2, -1, 0, -3, 4]));
  const gy = tensor4(1, 2, 1, 3, new Float64Array([1, 1, 1, 2, 2, 2]));

  it('at x = 0: relu passes no gradient, leaky_relu and prelu pass slope·gy', () => {
    expect([...activationBackward(x, { kind: 'relu' }, gy).gx.data]).toEqual([0, 1, 0, 0, 0, 2]);
    expect([...activationBackward(x, { kind: 'leaky_relu', slope: 0.25 }, gy).gx.data]).toEqual([0.25, 1, 0.25, 0.5, 0.5, 2]);
    const p = activationBackward(x, { kind: 'prelu', slopes: new Float64Array([0.5, 0.125]) }, gy);
    expect([...p.gx.data]).toEqual([0.5, 1, 0.5, 0.25, 0.25, 2]);
    // Σ over x ≤ 0 of x·gy per channel: channel 0: 0·1 + (−1)·1; channel 1: 0·2 + (−3)·2.
    expect([...p.gslopes!]).toEqual([-1, -6]);
  });

  it('a single shared PReLU slope (nn.PReLU()) gets the sum over every channel', () => {
    const p = activationBackward(x, { kind: 'prelu', slopes: new Float64Array([0.5]) }, gy);
    expect([...p.gx.data]).toEqual([0.5, 1, 0.5, 1, 1, 2]);
    expect([...p.gslopes!]).toEqual([-7]);
    expect([...activationForward(x, { kind: 'prelu', slopes: new Float64Array([0.5]) }).data]).toEqual([0, 2, -0.5, 0, -1.5, 4]);
  });

  it('PReLU with a slope count that is neither 1 nor C is refused', () => {
    expect(() => activationForward(x, { kind: 'prelu', slopes: new Float64Array(3) })).toThrow(/3 slopes for 2 channels/);
  });
});
