#!/usr/bin/env bash
# Reproduce wgsr's two bundled models with wgsr alone, on a Debian 12 (bookworm) machine: install
# the Debian packages (the photos, and PyTorch for the cross-check and the engine's reference),
# train a network with `wgsr train` from scratch on clean bicubic LR, fine-tune it on more photos
# into the default, then fine-tune the default on Real-ESRGAN's degradations into its denoising
# partner (what `wgsr upscale --denoise-strength S` blends with it); store each as f16 (`wgsr
# convert --half` keeps the recipe each run wrote into its file), measure both with `wgsr eval` on
# clean and degraded LR, cross-check those figures with PyTorch (evaluate.py) and write the
# engine's reference (export_reference.py). About 3 h on 2 cores (lavapipe). A run stopped on the
# way (Ctrl-C, a reboot) goes on from its last checkpoint with the same batches when the script is
# run again, so the weights are those of an uninterrupted run.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
WGSR="node bin/wgsr.js"
SEED="${SEED:-2024}"
ITERS="${ITERS:-7500}"
RUN="${RUN:-training/run}"
PHOTOS="${PHOTOS:-training/photos}"
CLEAN_ITERS="${CLEAN_ITERS:-4000}"
CLEAN_RUN="${CLEAN_RUN:-training/run-clean}"
MODEL="${MODEL:-models/default/wgsr-compact-x4.safetensors}"
DENOISE_ITERS="${DENOISE_ITERS:-8000}"
DENOISE_RUN="${DENOISE_RUN:-training/run-denoise}"
DENOISING_MODEL="${DENOISING_MODEL:-models/default/wgsr-compact-denoise-x4.safetensors}"

if [ "${SKIP_APT:-0}" != 1 ]; then
  # The photographs (training/DATA.md), and the cross-check tools (dev only, never a runtime dependency of wgsr).
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    python3-skimage mate-backgrounds lomiri-wallpapers-16.04 bzip2 python3-torch python3-numpy python3-pil
  bash scripts/setup.sh # lavapipe, npm dependencies, build
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
bash training/photos.sh "$PHOTOS"

# train RUN ITERS HR OPTIONS...: a finished run is left as it is, a stopped one goes on (--resume),
# else it starts on the photos in HR with the settings all runs share and OPTIONS.
train() {
  local run=$1 iters=$2 hr=$3
  shift 3
  if [ -f "$run/log.jsonl" ] && grep -q "^{\"step\":$iters,\"loss\"" "$run/log.jsonl"; then
    echo "run.sh: $run has finished its $iters steps" >&2
  elif [ -f "$run/state.bin" ]; then
    nice -n 5 $WGSR train --resume "$run"
  else
    nice -n 5 $WGSR train --hr "$hr" --val "$PHOTOS/val" --scale 4 --iters "$iters" --batch 16 --patch 32 \
      --loss l1 --betas 0.9,0.99 --seed "$SEED" --save-every 500 -o "$run" "$@"
  fi
}

# The network the default starts from: from scratch, on clean bicubic LR, on the first 10 photos.
# Its f16 file keeps the default's name (in the run's folder) because the fine-tune's recipe
# records the name and SHA-256 of the file it started from, and the shipped default's bytes
# depend on that recipe.
FIRST_MODEL="$RUN/$(basename "$MODEL")"
train "$RUN" "$ITERS" "$PHOTOS/train" --arch srvgg --num-feat 32 --num-conv 10 --degrade bicubic --lr-rate 1e-3 \
  --schedule cosine:1e-5 --val-every 2500
$WGSR convert "$RUN/last.safetensors" -o "$FIRST_MODEL" --half

# The default: that network trained on, with the 2 colour photos added, at a lower learning rate
# with a moving average of the weights.
train "$CLEAN_RUN" "$CLEAN_ITERS" "$PHOTOS/finetune" -m "$FIRST_MODEL" --degrade bicubic --ema 0.999 \
  --lr-rate 2e-4 --schedule cosine:1e-6 --val-every 4000
$WGSR convert "$CLEAN_RUN/last.safetensors" -o "$MODEL" --half

# Its denoising partner: the shipped default fine-tuned on Real-ESRGAN's degradations, half the
# samples kept clean (so it does not take fine texture for noise), with a moving average.
train "$DENOISE_RUN" "$DENOISE_ITERS" "$PHOTOS/finetune" -m "$MODEL" --degrade realesrgan --clean-prob 0.5 --ema 0.999 \
  --lr-rate 2e-4 --schedule cosine:1e-6 --val-every 2000
$WGSR convert "$DENOISE_RUN/last.safetensors" -o "$DENOISING_MODEL" --half

# The held-out figures: wgsr's own, then PyTorch's on the same LR images; then PyTorch's output
# of the file, the engine's reference (training/reference/).
$WGSR eval -m "$MODEL" --hr "$PHOTOS/val" | tee "$CLEAN_RUN/eval-clean.log"
$WGSR eval -m "$MODEL" --hr "$PHOTOS/val" --degrade realesrgan --seed "$SEED" --save-lr "$PHOTOS/val-degraded-$SEED" | tee "$CLEAN_RUN/eval-degraded.log"
$WGSR eval -m "$DENOISING_MODEL" --hr "$PHOTOS/val" | tee "$DENOISE_RUN/eval-clean.log"
$WGSR eval -m "$DENOISING_MODEL" --hr "$PHOTOS/val" --lr "$PHOTOS/val-degraded-$SEED" | tee "$DENOISE_RUN/eval-degraded.log"
nice -n 10 "$PY" training/evaluate.py --model "$MODEL" --degraded-lr "$PHOTOS/val-degraded-$SEED" | tee training/logs/evaluate.log
nice -n 10 "$PY" training/evaluate.py --model "$DENOISING_MODEL" --degraded-lr "$PHOTOS/val-degraded-$SEED" \
  --out training/results-denoise.json | tee training/logs/evaluate-denoise.log
nice -n 10 "$PY" training/export_reference.py --model "$MODEL"
