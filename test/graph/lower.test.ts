import { describe, expect, it } from 'vitest';
import { fuseGraph } from '../../src/graph/fuse.js';
import { convsPaddedToWidestTile } from '../../src/graph/weights.js';
import { buildModel, detectArchitecture } from '../../src/models/registry.js';
import type { StateDict } from '../../src/weights/types.js';
import { edsr, rrdbnet, srgan, srvgg } from '../helpers/architectures.js';

const padded = (sd: StateDict) =>
  [...convsPaddedToWidestTile(fuseGraph(buildModel(sd, detectArchitecture(sd)).graph))].map((n) => (n.op === 'conv2d' ? n.weights.name : n.op));

describe('narrow convs padded to the widest tile (one pipeline fewer) only where the FLOPs are negligible', () => {
  // conv_last 64→3 at ×4: padding to 16 channels adds 0.7% of x4plus's and x2plus's FLOPs.
  it('Real-ESRGAN x4plus and x2plus: conv_last', () => {
    expect(padded(rrdbnet(4, 23))).toEqual(['conv_last']);
    expect(padded(rrdbnet(2, 23))).toEqual(['conv_last']);
  });
  // With 6 blocks the same padding would add 2.1%; EDSR's 1×1 mean shifts have no wide 1×1
  // conv to share a pipeline with.
  it('anime_6B, EDSR baseline ×4 (8%) and SRGAN (9×9 tail): none', () => {
    expect(padded(rrdbnet(4, 6))).toEqual([]);
    expect(padded(edsr(4, 16, 64))).toEqual([]);
    expect(padded(srgan())).toEqual([]);
  });
  it('SRVGGNetCompact: none needed (48 output channels fill three tiles)', () => {
    expect(padded(srvgg(64, 32))).toEqual([]);
  });
});
