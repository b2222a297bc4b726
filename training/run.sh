#!/usr/bin/env bash
# Reproduce wgsr's two bundled models with wgsr alone, on a Debian 12 (bookworm) machine: install
# the Debian packages (the photos, and PyTorch for the cross-check and the engine's reference),
# train the default with `wgsr train` on clean bicubic LR, then fine-tune it on Real-ESRGAN's
# degradations into its denoising partner (what `wgsr upscale --denoise-strength S` blends with
# it); store both as f16 (`wgsr convert --half` keeps the recipe each run wrote into its file),
# measure them with `wgsr eval` on clean and degraded LR, cross-check those figures with PyTorch
# (evaluate.py) and write the engine's reference (export_reference.py). About 2 h on 2 cores
# (lavapipe). A run stopped on the way (Ctrl-C, a reboot) goes on from its last checkpoint with
# the same batches when the script is run again, so the weights are those of an uninterrupted run.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
WGSR="node bin/wgsr.js"
SEED="${SEED:-2024}"
ITERS="${ITERS:-7500}"
RUN="${RUN:-training/run}"
PHOTOS="${PHOTOS:-training/photos}"
MODEL="${MODEL:-models/default/wgsr-compact-x4.safetensors}"
DENOISE_ITERS="${DENOISE_ITERS:-8000}"
DENOISE_RUN="${DENOISE_RUN:-training/run-denoise}"
DENOISING_MODEL="${DENOISING_MODEL:-models/default/wgsr-compact-denoise-x4.safetensors}"

if [ "${SKIP_APT:-0}" != 1 ]; then
  # The photographs (training/DATA.md), and the cross-check tools (dev only, never a runtime dependency of wgsr).
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    python3-skimage mate-backgrounds python3-torch python3-numpy python3-pil
  bash scripts/setup.sh # lavapipe, npm dependencies, build
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
bash training/photos.sh "$PHOTOS"

# train RUN ITERS OPTIONS...: a finished run is left as it is, a stopped one goes on (--resume),
# else it starts with the settings both runs share and OPTIONS.
train() {
  local run=$1 iters=$2
  shift 2
  if [ -f "$run/log.jsonl" ] && grep -q "^{\"step\":$iters,\"loss\"" "$run/log.jsonl"; then
    echo "run.sh: $run has finished its $iters steps" >&2
  elif [ -f "$run/state.bin" ]; then
    nice -n 5 $WGSR train --resume "$run"
  else
    nice -n 5 $WGSR train --hr "$PHOTOS/train" --val "$PHOTOS/val" --scale 4 --iters "$iters" --batch 16 --patch 32 \
      --loss l1 --betas 0.9,0.99 --seed "$SEED" --save-every 500 -o "$run" "$@"
  fi
}

# The default: from scratch, on clean bicubic LR.
train "$RUN" "$ITERS" --arch srvgg --num-feat 32 --num-conv 10 --degrade bicubic --lr-rate 1e-3 \
  --schedule cosine:1e-5 --val-every 2500
$WGSR convert "$RUN/last.safetensors" -o "$MODEL" --half

# Its denoising partner: the shipped default fine-tuned on Real-ESRGAN's degradations, half the
# samples kept clean (so it does not take fine texture for noise), with a moving average.
train "$DENOISE_RUN" "$DENOISE_ITERS" -m "$MODEL" --degrade realesrgan --clean-prob 0.5 --ema 0.999 \
  --lr-rate 2e-4 --schedule cosine:1e-6 --val-every 2000
$WGSR convert "$DENOISE_RUN/last.safetensors" -o "$DENOISING_MODEL" --half

# The held-out figures: wgsr's own, then PyTorch's on the same LR images; then PyTorch's output
# of the file, the engine's reference (training/reference/).
$WGSR eval -m "$MODEL" --hr "$PHOTOS/val" | tee "$RUN/eval-clean.log"
$WGSR eval -m "$MODEL" --hr "$PHOTOS/val" --degrade realesrgan --seed "$SEED" --save-lr "$PHOTOS/val-degraded-$SEED" | tee "$RUN/eval-degraded.log"
$WGSR eval -m "$DENOISING_MODEL" --hr "$PHOTOS/val" | tee "$DENOISE_RUN/eval-clean.log"
$WGSR eval -m "$DENOISING_MODEL" --hr "$PHOTOS/val" --lr "$PHOTOS/val-degraded-$SEED" | tee "$DENOISE_RUN/eval-degraded.log"
nice -n 10 "$PY" training/evaluate.py --model "$MODEL" --degraded-lr "$PHOTOS/val-degraded-$SEED" | tee training/logs/evaluate.log
nice -n 10 "$PY" training/evaluate.py --model "$DENOISING_MODEL" --degraded-lr "$PHOTOS/val-degraded-$SEED" \
  --out training/results-denoise.json | tee training/logs/evaluate-denoise.log
nice -n 10 "$PY" training/export_reference.py --model "$MODEL"
