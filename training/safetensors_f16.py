"""Read safetensors files by hand (no library is packaged for Debian here): the f16 or f32 files
wgsr writes, for the PyTorch cross-check (evaluate.py) and the engine's reference.

Layout: 8-byte little-endian header length N, N bytes of JSON header ({"__metadata__": {str: str},
key: {"dtype", "shape", "data_offsets": [begin, end]}}, offsets relative to the data section),
padded with spaces to a multiple of 8, then the tensors back to back, little-endian, C order.
"""
import json
import struct

import numpy as np
import torch

_DTYPES = {'F16': np.float16, 'F32': np.float32}


def load(path: str):
    """Returns (state dict of float32 torch tensors in file order, metadata dict)."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop('__metadata__', {})
    data = raw[8 + n:]
    sd = {}
    for key, info in header.items():
        begin, end = info['data_offsets']
        arr = np.frombuffer(data[begin:end], dtype=np.dtype(_DTYPES[info['dtype']]).newbyteorder('<'))
        sd[key] = torch.from_numpy(arr.astype(np.float32).reshape(info['shape']))
    return sd, metadata
