import { describe, it } from 'vitest';
import { batchNormRunningUpdate, batchNormTrainBackward, batchNormTrainForward } from '../reference/batch-norm-train.js';
import { expectMatches, opFixture } from './fixtures.js';
import { OP_TOLERANCE as TOL } from './tolerance.js';

describe('BatchNorm2d in training mode against PyTorch', () => {
  it('batch_norm_train: y, gx, gγ, gβ and the running statistics', () => {
    const f = opFixture('batch_norm_train');
    const x = f.t4('x');
    const gamma = f.npy('gamma').data;
    const { y, stats } = batchNormTrainForward(x, gamma, f.npy('beta').data);
    expectMatches('bn y', y.data, f.npy('y').data, TOL);
    const g = batchNormTrainBackward(stats, gamma, f.t4('gy'));
    expectMatches('bn gx', g.gx.data, f.npy('gx').data, TOL);
    expectMatches('bn ggamma', g.ggamma, f.npy('ggamma').data, TOL);
    expectMatches('bn gbeta', g.gbeta, f.npy('gbeta').data, TOL);
    const running = batchNormRunningUpdate({ mean: f.npy('running_mean').data, variance: f.npy('running_var').data }, stats, x.n * x.h * x.w);
    expectMatches('bn running_mean', running.mean, f.npy('running_mean_after').data, TOL);
    expectMatches('bn running_var', running.variance, f.npy('running_var_after').data, TOL);
  });
});
