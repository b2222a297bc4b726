"""PyTorch's cross-check of the shipped f16 model against plain bicubic on the held-out photos.

wgsr measures the model itself (`wgsr eval`, `wgsr train --val`); this script measures it again
with PyTorch and numpy only, so the figures in training/README.md do not rest on wgsr's own
network, resize or metric code.

LR = MATLAB-style antialiased bicubic x1/4 of the HR photo, rounded to 8 bits. Bicubic baseline =
MATLAB-style bicubic x4 of that LR, rounded to 8 bits. Model output = the network on LR/255 with
the safetensors' f16 weights widened to f32, clipped to [0,1], rounded to 8 bits. PSNR/SSIM on Y,
`scale` pixels of border cropped (metrics.py, BasicSR conventions). With --degraded-lr DIR, the
same again on the LR images in DIR (NAME.png per held-out photo: the Real-ESRGAN-degraded LR that
`wgsr eval --degrade realesrgan --save-lr DIR` writes). Writes training/results.json.
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
from images import SCALE, load_rgb_uint8, photos  # noqa: E402
from matlab_imresize import imresize, to_uint8  # noqa: E402
from metrics import psnr_y, ssim_y  # noqa: E402
from safetensors_f16 import load  # noqa: E402
from sr_model import SRVGGNetCompact  # noqa: E402


def load_model(path: str) -> SRVGGNetCompact:
    sd, _ = load(path)
    # Sizes from the shapes, as wgsr detects them: body.0 is the first conv, then num_conv
    # (conv, PReLU) pairs, then the last conv with 3 * scale^2 outputs.
    convs = [k for k, t in sd.items() if k.endswith('.weight') and t.dim() == 4]
    scale = int(round((sd[convs[-1]].shape[0] / 3) ** 0.5))
    model = SRVGGNetCompact(num_feat=sd['body.0.weight'].shape[0], num_conv=len(convs) - 2, upscale=scale)
    model.load_state_dict(sd, strict=True)
    return model.eval()


def run_model(model, lr_uint8: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 -> raw float32 NCHW network output (no clamp)."""
    x = torch.from_numpy(lr_uint8.astype(np.float32) / 255.0).permute(2, 0, 1)[None].contiguous()
    with torch.no_grad():
        return model(x).numpy()


def to_image_uint8(nchw: np.ndarray) -> np.ndarray:
    return to_uint8(np.clip(nchw[0].transpose(1, 2, 0), 0.0, 1.0) * 255.0)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--model', default=os.path.join(HERE, '..', 'models', 'default', 'wgsr-compact-x4.safetensors'))
    p.add_argument('--out', default=os.path.join(HERE, 'results.json'))
    p.add_argument('--degraded-lr', help='folder of degraded LR images NAME.png to score too')
    args = p.parse_args()
    torch.set_num_threads(1)
    model = load_model(args.model)
    with open(args.model, 'rb') as f:
        model_sha = hashlib.sha256(f.read()).hexdigest()

    def score(lr_of, title):
        rows = []
        print(title)
        print(f'{"image":<12} {"size (HR)":>11} {"bicubic PSNR":>12} {"SSIM":>7} {"model PSNR":>11} {"SSIM":>7} {"dPSNR":>7}')
        for photo in photos('heldout'):
            hr = load_rgb_uint8(photo)
            lr = lr_of(photo, hr)
            bic = to_uint8(imresize(lr.astype(np.float64), float(SCALE)))
            sr = to_image_uint8(run_model(model, lr))
            r = {'image': photo.name, 'hr_size': [int(hr.shape[1]), int(hr.shape[0])],
                 'bicubic': {'psnr_y': psnr_y(bic, hr, SCALE), 'ssim_y': ssim_y(bic, hr, SCALE)},
                 'model': {'psnr_y': psnr_y(sr, hr, SCALE), 'ssim_y': ssim_y(sr, hr, SCALE)}}
            rows.append(r)
            print(f'{photo.name:<12} {r["hr_size"][0]:>5}x{r["hr_size"][1]:<5} {r["bicubic"]["psnr_y"]:>12.4f} '
                  f'{r["bicubic"]["ssim_y"]:>7.4f} {r["model"]["psnr_y"]:>11.4f} {r["model"]["ssim_y"]:>7.4f} '
                  f'{r["model"]["psnr_y"] - r["bicubic"]["psnr_y"]:>+7.4f}', flush=True)
        mean = {m: {k: float(np.mean([r[m][k] for r in rows])) for k in ('psnr_y', 'ssim_y')} for m in ('bicubic', 'model')}
        gain = {k: mean['model'][k] - mean['bicubic'][k] for k in ('psnr_y', 'ssim_y')}
        print(f'{"mean":<24} {mean["bicubic"]["psnr_y"]:>12.4f} {mean["bicubic"]["ssim_y"]:>7.4f} '
              f'{mean["model"]["psnr_y"]:>11.4f} {mean["model"]["ssim_y"]:>7.4f} {gain["psnr_y"]:>+7.4f}')
        print(f'model minus bicubic on the held-out mean: {gain["psnr_y"]:+.4f} dB PSNR-Y, {gain["ssim_y"]:+.4f} SSIM-Y')
        return rows, mean, gain

    def degraded_lr(photo, hr):
        path = os.path.join(args.degraded_lr, photo.name + '.png')
        if not os.path.exists(path):
            sys.exit(f'missing {path}: write the degraded LR images with wgsr eval --degrade realesrgan --save-lr {args.degraded_lr}')
        lr = np.asarray(Image.open(path).convert('RGB'))
        if lr.shape[0] * SCALE != hr.shape[0] or lr.shape[1] * SCALE != hr.shape[1]:
            sys.exit(f'{path} is {lr.shape[1]}x{lr.shape[0]}, not the HR size / {SCALE}')
        return lr

    rows, mean, gain = score(lambda photo, hr: to_uint8(imresize(hr.astype(np.float64), 1.0 / SCALE)), 'clean LR (MATLAB bicubic x1/4)')
    degraded = None
    if args.degraded_lr:
        d_rows, d_mean, d_gain = score(degraded_lr, f'degraded LR ({args.degraded_lr})')
        degraded = {'lr_dir': os.path.basename(os.path.normpath(args.degraded_lr)), 'images': d_rows, 'mean': d_mean, 'model_minus_bicubic': d_gain}
    result = {
        'model': os.path.relpath(os.path.abspath(args.model), os.path.join(HERE, '..')),
        'model_sha256': model_sha,
        'protocol': 'LR = MATLAB bicubic x1/4 (antialiased) of HR mod-cropped to 4, rounded to uint8; '
                    'bicubic = MATLAB bicubic x4 of LR rounded to uint8; model output clipped to [0,1] '
                    'and rounded to uint8; PSNR/SSIM on BT.601 Y (16..235), 4-pixel border cropped, '
                    'SSIM 11x11 Gaussian sigma 1.5 (BasicSR conventions)',
        'images': rows, 'mean': mean, 'model_minus_bicubic': gain,
        **({'degraded': degraded} if degraded else {}),
        'torch': torch.__version__,
    }
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    if gain['psnr_y'] <= 0:
        sys.exit('the model does not beat bicubic on the held-out mean')


if __name__ == '__main__':
    main()
