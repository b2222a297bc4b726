"""Train wgsr's default x4 model (SRVGGNetCompact) on CPU, deterministically.

Recipe (defaults below; README.md explains it): CC0/public-domain photos from python3-skimage,
LR made by MATLAB-style antialiased bicubic x1/4 and rounded to 8 bits (as DIV2K's LR_bicubic),
random aligned LR/HR crops with flips/rot90, L1 loss, Adam (0.9, 0.99), cosine LR decay,
one CPU thread, fixed seed. Writes f16 safetensors with Real-ESRGAN's key layout.
"""
import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from degrade import degrade  # noqa: E402
from images import SCALE, load_rgb_uint8, photos  # noqa: E402
from matlab_imresize import imresize, to_uint8  # noqa: E402
from safetensors_f16 import save_f16  # noqa: E402
from sr_model import SRVGGNetCompact  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--iters', type=int, default=5000)
    p.add_argument('--stop-after', type=int, default=None,
                   help='stop early but keep the LR schedule of --iters (reproducibility checks)')
    p.add_argument('--seed', type=int, default=2024)
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--lr-patch', type=int, default=32, help='LR patch side; HR side is 4x')
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--lr-min', type=float, default=1e-5)
    p.add_argument('--num-feat', type=int, default=32)
    p.add_argument('--num-conv', type=int, default=10)
    p.add_argument('--degrade', action='store_true', help='Real-ESRGAN-style blur/noise/JPEG on LR')
    p.add_argument('--log-every', type=int, default=100)
    p.add_argument('--out', default=None, help='f16 safetensors to write (skipped with --stop-after)')
    return p.parse_args()


def recipe_of(args) -> dict:
    keys = ['iters', 'seed', 'batch', 'lr_patch', 'lr', 'lr_min', 'num_feat', 'num_conv', 'degrade']
    r = {k: getattr(args, k) for k in keys}
    r.update(loss='L1', optimizer='Adam(betas=(0.9,0.99))', schedule='cosine lr -> lr_min',
             lr_from_hr='MATLAB bicubic x1/4 antialiased, rounded to uint8',
             augment='hflip, vflip, rot90', train_images=[p.name for p in photos('train')],
             torch=torch.__version__, threads=1)
    return r


def params_digest(model) -> str:
    h = hashlib.sha256()
    for t in model.state_dict().values():
        h.update(t.detach().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


class PatchSampler:
    def __init__(self, args, rng):
        self.args, self.rng = args, rng
        self.hr = [load_rgb_uint8(p) for p in photos('train')]
        # Clean LR images are made once per photo (as DIV2K ships them), then cropped in step.
        self.lr = [to_uint8(imresize(h.astype(np.float64), 1.0 / SCALE)) for h in self.hr]

    def batch(self):
        a, rng = self.args, self.rng
        ps, hs = a.lr_patch, a.lr_patch * SCALE
        lrs, hrs = [], []
        for _ in range(a.batch):
            i = rng.randint(len(self.hr))
            y = rng.randint(self.lr[i].shape[0] - ps + 1)
            x = rng.randint(self.lr[i].shape[1] - ps + 1)
            hr = self.hr[i][y * SCALE:y * SCALE + hs, x * SCALE:x * SCALE + hs]
            lr = degrade(hr, SCALE, rng) if a.degrade else self.lr[i][y:y + ps, x:x + ps]
            if rng.rand() < 0.5:
                hr, lr = hr[:, ::-1], lr[:, ::-1]
            if rng.rand() < 0.5:
                hr, lr = hr[::-1], lr[::-1]
            if rng.rand() < 0.5:
                hr, lr = hr.transpose(1, 0, 2), lr.transpose(1, 0, 2)
            hrs.append(np.ascontiguousarray(hr))
            lrs.append(np.ascontiguousarray(lr))
        to_t = lambda xs: torch.from_numpy(np.stack(xs).astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
        return to_t(lrs), to_t(hrs)


def main():
    args = parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.RandomState(args.seed)
    recipe = recipe_of(args)
    recipe_json = json.dumps(recipe, sort_keys=True)
    recipe_hash = hashlib.sha256(recipe_json.encode()).hexdigest()
    print(f'recipe {recipe_json}\nrecipe sha256 {recipe_hash}', flush=True)

    sampler = PatchSampler(args, rng)
    model = SRVGGNetCompact(num_feat=args.num_feat, num_conv=args.num_conv, upscale=SCALE)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.iters, eta_min=args.lr_min)
    n_params = sum(p.numel() for p in model.parameters())
    print(f'params {n_params}, train images {len(sampler.hr)}', flush=True)

    stop = args.stop_after or args.iters
    t0, running = time.time(), 0.0
    for it in range(1, stop + 1):
        lr_b, hr_b = sampler.batch()
        loss = F.l1_loss(model(lr_b), hr_b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running += loss.item()
        if it % args.log_every == 0:
            print(f'iter {it} l1 {running / args.log_every:.9f} lr {sched.get_last_lr()[0]:.3e} '
                  f'params {params_digest(model)} t {time.time() - t0:.1f}s', flush=True)
            running = 0.0
    print(f'done {stop} iters in {time.time() - t0:.1f}s, final params {params_digest(model)}', flush=True)

    if args.out and args.stop_after is None:
        meta = {
            'name': 'wgsr-compact-x4', 'arch': 'SRVGGNetCompact', 'scale': SCALE,
            'num_feat': args.num_feat, 'num_conv': args.num_conv, 'in_ch': 3, 'out_ch': 3,
            'input_range': '[0, 1] RGB', 'licence': 'MIT (weights); trained only on CC0/public-domain photos',
            'training_recipe': recipe_json, 'training_recipe_sha256': recipe_hash,
            'training_seconds': f'{time.time() - t0:.0f}',
        }
        save_f16(model.state_dict(), args.out, meta)
        print(f'wrote {args.out} ({os.path.getsize(args.out)} bytes)', flush=True)


if __name__ == '__main__':
    main()
