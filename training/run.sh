#!/usr/bin/env bash
# Reproduce wgsr's default model with wgsr alone, on a Debian 12 (bookworm) machine: install the
# Debian packages (the photos, and PyTorch for the cross-check and the engine's reference), train
# with `wgsr train`, store the result as f16 (`wgsr convert --half` keeps the recipe the run wrote
# into the file), measure it with `wgsr eval` on clean and degraded LR, cross-check those figures
# with PyTorch (evaluate.py) and write the engine's reference (export_reference.py). About 50 min
# on 2 cores (lavapipe). A run stopped on the way (Ctrl-C, a reboot) goes on from its last
# checkpoint with the same batches when the script is run again, so the weights are those of an
# uninterrupted run.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
WGSR="node bin/wgsr.js"
SEED="${SEED:-2024}"
ITERS="${ITERS:-7500}"
RUN="${RUN:-training/run}"
PHOTOS="${PHOTOS:-training/photos}"
MODEL="${MODEL:-models/default/wgsr-compact-x4.safetensors}"

if [ "${SKIP_APT:-0}" != 1 ]; then
  # The photographs (training/DATA.md), and the cross-check tools (dev only, never a runtime dependency of wgsr).
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    python3-skimage mate-backgrounds python3-torch python3-numpy python3-pil
  bash scripts/setup.sh # lavapipe, npm dependencies, build
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
bash training/photos.sh "$PHOTOS"

if [ -f "$RUN/log.jsonl" ] && grep -q "^{\"step\":$ITERS,\"loss\"" "$RUN/log.jsonl"; then
  echo "run.sh: $RUN has finished its $ITERS steps" >&2
elif [ -f "$RUN/state.bin" ]; then
  nice -n 5 $WGSR train --resume "$RUN"
else
  nice -n 5 $WGSR train --hr "$PHOTOS/train" --val "$PHOTOS/val" --arch srvgg --num-feat 32 --num-conv 10 --scale 4 \
    --degrade bicubic --iters "$ITERS" --batch 16 --patch 32 --loss l1 --lr-rate 1e-3 --betas 0.9,0.99 \
    --schedule cosine:1e-5 --seed "$SEED" --val-every 2500 --save-every 500 -o "$RUN"
fi
$WGSR convert "$RUN/last.safetensors" -o "$MODEL" --half

# The held-out figures: wgsr's own, then PyTorch's on the same LR images; then PyTorch's output
# of the file, the engine's reference (training/reference/).
$WGSR eval -m "$MODEL" --hr "$PHOTOS/val" | tee "$RUN/eval-clean.log"
$WGSR eval -m "$MODEL" --hr "$PHOTOS/val" --degrade realesrgan --seed "$SEED" --save-lr "$PHOTOS/val-degraded-$SEED" | tee "$RUN/eval-degraded.log"
nice -n 10 "$PY" training/evaluate.py --model "$MODEL" --degraded-lr "$PHOTOS/val-degraded-$SEED" | tee training/logs/evaluate.log
nice -n 10 "$PY" training/export_reference.py --model "$MODEL"
