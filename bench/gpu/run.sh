#!/usr/bin/env bash
# The GPU measurements of the conv kernel family (inference and training), for a machine with an NVIDIA GPU (run from the
# repository root after `npm run build`; needs node_modules' `webgpu` package and a Vulkan
# loader with the NVIDIA ICD). Refuses to run on a software adapter, whose numbers would be
# mistaken for the GPU's. Writes everything under ${OUT:-bench/results/gpu}.
set -euo pipefail
out="${OUT:-bench/results/gpu}"
mkdir -p "$out"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
export WGSR_CACHE_DIR="$out/cache"

node bin/wgsr.js adapter --json | tee "$out/adapter.json"
if grep -Eqi 'llvmpipe|lavapipe|swiftshader|software' "$out/adapter.json"; then
  echo "run.sh: the adapter is a software one (see $out/adapter.json), not the GPU: stopping" >&2
  exit 2
fi

# Each step is time-boxed so one that hangs leaves the others' results.
timeout 240 node bin/wgsr.js tune --json > "$out/tune-f32.json" || echo "tune f32 failed: $?" >&2
timeout 240 node bin/wgsr.js tune --precision f16 --json > "$out/tune-f16.json" || echo "tune f16 failed: $?" >&2
timeout 300 node bench/kernels.mjs --sizes 128 --rounds 2 --precision f32,f16 --kernels all > "$out/kernels.txt" 2>&1 || echo "bench:kernels failed: $?" >&2
for k in register-tile gemm auto; do
  timeout 180 node bin/wgsr.js bench --size 1024 --runs 3 --kernels "$k" --json > "$out/x4plus-1024-$k.json" || echo "bench 1024 $k failed: $?" >&2
done
# Training: a step of SRVGG 32/10 (batch 16 × 32²) with each conv kernel, GPU time by phase.
for k in register-tile gemm; do
  BENCH_TRAIN_KERNELS=$k BENCH_TRAIN_NETS=srvgg BENCH_TRAIN_ENGINES=wgsr BENCH_TRAIN_STEPS=wgsr:20 BENCH_TIMEOUT_S=60 timeout 120 node bench/train.mjs > "$out/train-$k.txt" 2>&1 || echo "bench:train $k failed: $?" >&2
done
BENCH_SIZES=64,256 BENCH_ENGINES=wgsr,wgsr-f16,tfjs,ort-webgpu BENCH_TIMEOUT_S=120 timeout 600 node bench/compare.mjs > "$out/compare.txt" 2>&1 || echo "bench:compare failed: $?" >&2
cp bench/results/*.json "$out/" 2>/dev/null || true
echo "results in $out"
