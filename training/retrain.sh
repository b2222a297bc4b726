#!/usr/bin/env bash
# Train the default model's successor with wgsr alone, on a Debian 12 (bookworm) machine: install
# the Debian packages (photos, and PyTorch for the cross-check), train with `wgsr train` (Real-ESRGAN
# degradations mixed with clean bicubic LR), store the result as f16, measure it with `wgsr eval`
# on clean and degraded LR, and cross-check those figures with PyTorch (evaluate.py). About 1.7 h
# on 2 cores (lavapipe). The model is written into the run directory: it replaces
# models/default/ only once it meets the targets in training/README.md (then run
# export_reference.py for the engine's reference).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
WGSR="node bin/wgsr.js"
SEED="${SEED:-2024}"
ITERS="${ITERS:-12000}"
CLEAN_PROB="${CLEAN_PROB:-0.5}"
RUN="${RUN:-training/run}"
PHOTOS="${PHOTOS:-training/photos}"
MODEL="${MODEL:-$RUN/wgsr-compact-x4.safetensors}"

if [ "${SKIP_APT:-0}" != 1 ]; then
  # The photographs (training/DATA.md), and the cross-check tools (dev only, never a runtime dependency of wgsr).
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    python3-skimage mate-backgrounds python3-torch python3-numpy python3-pil
  bash scripts/setup.sh # lavapipe, npm dependencies, build
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
bash training/photos.sh "$PHOTOS"

# Training: a run stopped on the way (Ctrl-C, a reboot) goes on from its last checkpoint with
# the same batches, so the weights are those of an uninterrupted run.
if [ -f "$RUN/log.jsonl" ] && grep -q "^{\"step\":$ITERS,\"loss\"" "$RUN/log.jsonl"; then
  echo "retrain.sh: $RUN has finished its $ITERS steps" >&2
elif [ -f "$RUN/state.bin" ]; then
  nice -n 5 $WGSR train --resume "$RUN"
else
  nice -n 5 $WGSR train --hr "$PHOTOS/train" --val "$PHOTOS/val" --arch srvgg --num-feat 32 --num-conv 10 --scale 4 \
    --degrade realesrgan --clean-prob "$CLEAN_PROB" --iters "$ITERS" --batch 16 --patch 32 --loss l1 --lr-rate 1e-3 \
    --betas 0.9,0.99 --schedule cosine:1e-5 --seed "$SEED" --val-every 1000 --save-every 500 -o "$RUN"
fi
$WGSR convert "$RUN/last.safetensors" -o "$MODEL" --half

# The held-out figures: wgsr's own, then PyTorch's on the same LR images.
$WGSR eval -m "$MODEL" --hr "$PHOTOS/val" | tee "$RUN/eval-clean.log"
$WGSR eval -m "$MODEL" --hr "$PHOTOS/val" --degrade realesrgan --seed "$SEED" --save-lr "$PHOTOS/val-degraded-$SEED" | tee "$RUN/eval-degraded.log"
nice -n 10 "$PY" training/evaluate.py --model "$MODEL" --degraded-lr "$PHOTOS/val-degraded-$SEED" --out "$RUN/results.json" | tee "$RUN/evaluate.log"
