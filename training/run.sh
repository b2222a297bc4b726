#!/usr/bin/env bash
# Reproduce wgsr's default model end to end on a Debian 12 (bookworm) machine, CPU only:
# install the Debian packages (tools + photos), train, evaluate on the held-out photos, and
# write the engine's PyTorch reference. Takes about 30 minutes on 2 cores (one is used).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's own Python: python3-torch etc. are installed for /usr/bin/python3, not for a pyenv/venv one.
PY=/usr/bin/python3
ITERS="${ITERS:-7500}"
SEED="${SEED:-2024}"
MODEL="${MODEL:-models/default/wgsr-compact-x4.safetensors}"

if [ "${SKIP_APT:-0}" != 1 ]; then
  # Tools (dev only, never a runtime dependency of wgsr) and the photographs (training/DATA.md).
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    python3-torch python3-numpy python3-pil python3-skimage mate-backgrounds
fi

mkdir -p training/logs "$(dirname "$MODEL")"
# Data preparation (mod-crop, MATLAB bicubic LR) happens in memory at the start of train.py.
nice -n 10 "$PY" training/train.py --iters "$ITERS" --seed "$SEED" --out "$MODEL" | tee training/logs/train.log
nice -n 10 "$PY" training/evaluate.py --model "$MODEL" | tee training/logs/evaluate.log
nice -n 10 "$PY" training/export_reference.py --model "$MODEL"
