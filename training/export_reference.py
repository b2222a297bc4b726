"""Save a PyTorch reference of the shipped model for the engine's tests.

training/reference/lr.png is a 48x48 crop of the held-out, CC0 `coffee` photo's LR image (MATLAB
bicubic x1/4, 8-bit); output.npy is the network's raw float32 NCHW output [1,3,192,192] on
lr.png / 255 (no clamp), computed by PyTorch on CPU with the safetensors' f16 weights widened to
f32. The crop is fed on its own, so its borders see the convs' zero padding as in the engine.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from evaluate import load_model, run_model  # noqa: E402
from images import PHOTOS, SCALE, load_rgb_uint8  # noqa: E402
from matlab_imresize import imresize, to_uint8  # noqa: E402

CROP = {'photo': 'coffee', 'y': 40, 'x': 56, 'size': 48}  # LR coords: cup rim, saucer and spoon edges


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--model', default=os.path.join(HERE, '..', 'models', 'default', 'wgsr-compact-x4.safetensors'))
    p.add_argument('--out-dir', default=os.path.join(HERE, 'reference'))
    args = p.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out_dir, exist_ok=True)
    photo = next(ph for ph in PHOTOS if ph.name == CROP['photo'])
    assert photo.split == 'heldout'
    lr_full = to_uint8(imresize(load_rgb_uint8(photo).astype(np.float64), 1.0 / SCALE))
    y, x, s = CROP['y'], CROP['x'], CROP['size']
    lr = np.ascontiguousarray(lr_full[y:y + s, x:x + s])
    Image.fromarray(lr).save(os.path.join(args.out_dir, 'lr.png'))
    # Read the PNG back so the reference is computed from exactly the bytes the engine will read.
    lr_png = np.asarray(Image.open(os.path.join(args.out_dir, 'lr.png')).convert('RGB'))
    out = run_model(load_model(args.model), lr_png).astype(np.float32)
    np.save(os.path.join(args.out_dir, 'output.npy'), out)
    with open(args.model, 'rb') as f:
        model_sha = hashlib.sha256(f.read()).hexdigest()
    meta = {
        'model': 'models/default/wgsr-compact-x4.safetensors', 'model_sha256': model_sha,
        'input': 'lr.png (8-bit RGB); network input = pixel / 255 as float32 NCHW [1,3,48,48]',
        'output': 'output.npy float32 NCHW [1,3,192,192], raw network output, not clamped',
        'source': f'held-out photo {photo.name} ({photo.package}, {photo.licence}), LR by MATLAB bicubic x1/4, '
                  f'crop rows {y}..{y + s - 1}, cols {x}..{x + s - 1} of the LR image',
        'computed_by': f'PyTorch {torch.__version__} CPU float32, f16 weights widened to f32',
        'output_stats': {'min': float(out.min()), 'max': float(out.max()), 'mean': float(out.mean())},
    }
    with open(os.path.join(args.out_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')
    print(f'wrote {args.out_dir}: lr.png {lr.shape}, output.npy {out.shape}')


if __name__ == '__main__':
    main()
