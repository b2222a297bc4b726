"""PSNR and SSIM exactly as BasicSR computes them (basicsr/metrics/psnr_ssim.py) with
test_y_channel=True: 8-bit RGB -> float32 Y of ITU-R BT.601 YCbCr (16..235), `crop_border`
pixels removed on every side, PSNR over float64 MSE with peak 255, SSIM with an 11x11 Gaussian
window (sigma 1.5) over the valid region, C1 = (0.01*255)^2, C2 = (0.03*255)^2."""
import numpy as np


def y_channel(rgb_uint8: np.ndarray) -> np.ndarray:
    """BasicSR to_y_channel: float32 arithmetic as BasicSR does it, returned as float64 in 16..235."""
    img = rgb_uint8.astype(np.float32) / 255.0
    y = np.dot(img, np.array([65.481, 128.553, 24.966], dtype=np.float32)) + np.float32(16.0)
    y = (y / np.float32(255.0)) * np.float32(255.0)
    return y.astype(np.float64)


def _crop(img: np.ndarray, border: int) -> np.ndarray:
    return img[border:-border, border:-border] if border > 0 else img


def psnr_y(a_uint8: np.ndarray, b_uint8: np.ndarray, crop_border: int) -> float:
    a, b = _crop(y_channel(a_uint8), crop_border), _crop(y_channel(b_uint8), crop_border)
    mse = np.mean((a - b) ** 2)
    return float('inf') if mse == 0 else float(10.0 * np.log10(255.0 * 255.0 / mse))


def _gaussian_window_1d() -> np.ndarray:
    # cv2.getGaussianKernel(11, 1.5); the 2-D window is its outer product, so filter separably.
    t = np.arange(11, dtype=np.float64) - 5
    k = np.exp(-t * t / (2 * 1.5 * 1.5))
    return k / k.sum()


def _filter_valid(img: np.ndarray, k: np.ndarray) -> np.ndarray:
    """cv2.filter2D(img, -1, outer(k, k))[5:-5, 5:-5]: only the border-free (valid) outputs."""
    n = len(k)
    h, w = img.shape[0] - n + 1, img.shape[1] - n + 1
    rows = sum(k[i] * img[i:i + h, :] for i in range(n))
    return sum(k[j] * rows[:, j:j + w] for j in range(n))


def ssim_y(a_uint8: np.ndarray, b_uint8: np.ndarray, crop_border: int) -> float:
    a, b = _crop(y_channel(a_uint8), crop_border), _crop(y_channel(b_uint8), crop_border)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    k = _gaussian_window_1d()
    mu1, mu2 = _filter_valid(a, k), _filter_valid(b, k)
    mu1_sq, mu2_sq, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    s1 = _filter_valid(a * a, k) - mu1_sq
    s2 = _filter_valid(b * b, k) - mu2_sq
    s12 = _filter_valid(a * b, k) - mu12
    ssim_map = ((2 * mu12 + c1) * (2 * s12 + c2)) / ((mu1_sq + mu2_sq + c1) * (s1 + s2 + c2))
    return float(ssim_map.mean())
