"""The image catalogue: every photograph used, where Debian installs it, its licence, its split.

Training uses only CC0 / public-domain photographs, so the shipped weights carry no licence
obligations from their data. The GPL-2+ MATE wallpapers are used only for held-out evaluation and
never enter training. Of the twelve MATE nature photos, the three with real fine detail
(bicubic x4 PSNR-Y below 40 dB) are held out; the others are shallow-focus and so smooth that
bicubic already reaches 41-49 dB, which says little about a super-resolution model.
training/DATA.md is the human-readable copy of this table.
"""
import bz2
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data'
MATE = '/usr/share/backgrounds/mate/nature'
LOMIRI = '/usr/share/backgrounds'
SCIPY_MISC = '/usr/lib/python3/dist-packages/scipy/misc'
SCALE = 4


@dataclass(frozen=True)
class Photo:
    name: str
    package: str
    path: str
    licence: str
    split: str  # 'train' or 'heldout'


PHOTOS = [
    Photo('astronaut', 'python3-skimage', f'{SKIMAGE}/astronaut.png', 'public domain (NASA)', 'train'),
    Photo('rocket', 'python3-skimage', f'{SKIMAGE}/rocket.jpg', 'public domain (SpaceX)', 'train'),
    Photo('hubble_deep_field', 'python3-skimage', f'{SKIMAGE}/hubble_deep_field.jpg', 'public domain (NASA)', 'train'),
    Photo('retina', 'python3-skimage', f'{SKIMAGE}/retina.jpg', 'CC0 1.0', 'train'),
    Photo('ihc', 'python3-skimage', f'{SKIMAGE}/ihc.png', 'no known copyright restrictions', 'train'),
    Photo('camera', 'python3-skimage', f'{SKIMAGE}/camera.png', 'CC0 (Lav Varshney)', 'train'),
    Photo('brick', 'python3-skimage', f'{SKIMAGE}/brick.png', 'CC0 (CC0Textures)', 'train'),
    Photo('grass', 'python3-skimage', f'{SKIMAGE}/grass.png', 'CC0 (CC0Textures)', 'train'),
    Photo('gravel', 'python3-skimage', f'{SKIMAGE}/gravel.png', 'CC0 (CC0Textures)', 'train'),
    Photo('coins', 'python3-skimage', f'{SKIMAGE}/coins.png', 'no known copyright restrictions', 'train'),
    Photo('face', 'python3-scipy', f'{SCIPY_MISC}/face.dat', 'public domain (public-domain-image.com)', 'train'),
    Photo('seeding', 'lomiri-wallpapers-16.04', f'{LOMIRI}/seeding_by_Clements_Engelhardt.jpg', 'CC0 1.0 (Clemens Engelhardt)', 'train'),
    Photo('chelsea', 'python3-skimage', f'{SKIMAGE}/chelsea.png', 'CC0 (Stefan van der Walt)', 'heldout'),
    Photo('coffee', 'python3-skimage', f'{SKIMAGE}/coffee.png', 'CC0 (Rachel Michetti)', 'heldout'),
    Photo('Dune', 'mate-backgrounds', f'{MATE}/Dune.jpg', 'GPL-2+ (Marco Cogoni, Hylke Bons)', 'heldout'),
    Photo('GreenMeadow', 'mate-backgrounds', f'{MATE}/GreenMeadow.jpg', 'GPL-2+ (Timothy Schellhase, Lapo Calamandrei)', 'heldout'),
    Photo('TwoWings', 'mate-backgrounds', f'{MATE}/TwoWings.jpg', 'GPL-2+ (Charles Barbin, Hylke Bons)', 'heldout'),
]


def photos(split: str):
    return [p for p in PHOTOS if p.split == split]


def load_rgb_uint8(photo: Photo) -> np.ndarray:
    """HxWx3 uint8, grey photos replicated to three channels, cropped to a multiple of SCALE
    (BasicSR's mod_crop) so HR and LR align exactly."""
    if not os.path.exists(photo.path):
        raise SystemExit(f'missing {photo.path}: install the Debian package {photo.package} '
                         f'(bash training/run.sh does this)')
    if photo.path.endswith('.dat'):  # SciPy's raccoon: 1024x768 RGB bytes, bzip2-compressed
        with open(photo.path, 'rb') as f:
            img = np.frombuffer(bz2.decompress(f.read()), dtype=np.uint8).reshape(768, 1024, 3)
    else:
        img = np.asarray(Image.open(photo.path).convert('RGB'))
    h, w = img.shape[0] - img.shape[0] % SCALE, img.shape[1] - img.shape[1] % SCALE
    return np.ascontiguousarray(img[:h, :w])
