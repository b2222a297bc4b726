"""Optional first-order Real-ESRGAN-style degradation of one HR patch into an LR patch:
Gaussian blur -> MATLAB bicubic x1/4 -> Gaussian noise -> JPEG. Off for the shipped model
(the held-out benchmark uses clean bicubic LR, where these degradations cost PSNR)."""
import io

import numpy as np
from PIL import Image

from matlab_imresize import imresize


def _gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    radius = max(1, int(round(3 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-t * t / (2 * sigma * sigma))
    k /= k.sum()
    pad = np.pad(img, ((radius, radius), (radius, radius), (0, 0)), mode='reflect')
    rows = sum(k[i] * pad[i:i + img.shape[0], :, :] for i in range(len(k)))
    return sum(k[i] * rows[:, i:i + img.shape[1], :] for i in range(len(k)))


def degrade(hr_uint8: np.ndarray, scale: int, rng: np.random.RandomState) -> np.ndarray:
    """hr_uint8: HxWx3 uint8 patch. Returns an (H/scale)x(W/scale)x3 uint8 LR patch."""
    x = _gaussian_blur(hr_uint8.astype(np.float64), rng.uniform(0.2, 2.0))
    x = imresize(x, 1.0 / scale)
    x = x + rng.normal(0.0, rng.uniform(0.0, 10.0), size=x.shape)
    lr = np.clip(np.floor(x + 0.5), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(lr).save(buf, format='JPEG', quality=int(rng.randint(50, 96)))
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert('RGB'))
