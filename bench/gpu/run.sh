#!/usr/bin/env bash
# The GPU measurements, in one command that fits a lent GPU machine's 10-minute limit (run it
# with a 600 s timeout; the steps below take at most 8.5 minutes together): the conv kernel
# variants (wgsr tune, bench:kernels), x4plus on a 512² input with each conv kernel, a training
# step by phase with each conv kernel (bench:train), and `wgsr train` itself on the training
# photos with Real-ESRGAN's degradations made by worker threads (SRVGG 32/10 and 64/16), whose
# it/s says how long a long training run would take there.
#
# On a bare machine, carry .gpu-kit and dist (bench/gpu/kit.sh makes them): Node, the runtime
# packages, the Vulkan loader and the photos are unpacked from the kit. Elsewhere it runs from
# the repository root after `npm ci && npm run build`. It refuses a software adapter, whose
# numbers would be mistaken for the GPU's (ALLOW_SOFTWARE=1 runs it anyway, to try the script).
#
# Each step is time-boxed, so one that hangs leaves the others' results; LIMIT_SCALE=0.2 shortens
# every box (to try the script). Results, written as it goes so a cut-off run still returns them:
# $OUT/summary.txt (a line per step: exit code, seconds) and $OUT/logs.tar.gz (each step's output,
# the JSON results, the training runs' logs).
set -uo pipefail
out="${OUT:-bench/results/gpu}"
mkdir -p "$out"
: >"$out/summary.txt"
logs=$(mktemp -d)
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
export WGSR_CACHE_DIR="$logs/cache"
scale="${LIMIT_SCALE:-1}"
# Past this many seconds no step starts: the command must end inside its 600 s.
budget=$(awk -v s="$scale" 'BEGIN { print int(540 * s) }')

unxz_cat() {
  if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi
}

if [ -d .gpu-kit ]; then
  if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
    for f in .gpu-kit/deb/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ] || [ -n "${GPU_KIT_NODE:-}" ]; then
    mkdir -p /tmp/gpu-kit/bin
    unxz_cat .gpu-kit/node.xz >/tmp/gpu-kit/bin/node
    chmod +x /tmp/gpu-kit/bin/node
    export PATH="/tmp/gpu-kit/bin:$PATH"
  fi
  [ -d node_modules/webgpu ] || unxz_cat .gpu-kit/node_modules.tar.xz | tar -x
  if [ ! -d training/photos/train ]; then
    mkdir -p training/photos
    tar -xf .gpu-kit/photos.tar -C training/photos
  fi
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
[ -f dist/index.js ] || { echo "run.sh: dist/ is missing: npm run build here, or carry dist" >&2; exit 1; }

node --version | tee -a "$out/summary.txt"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$out/summary.txt"
if ! node bin/wgsr.js adapter --json >"$logs/adapter.json" 2>&1; then
  cat "$logs/adapter.json" | tee -a "$out/summary.txt"
  echo "run.sh: no WebGPU adapter" | tee -a "$out/summary.txt"
  tar -czf "$out/logs.tar.gz" -C "$logs" .
  exit 2
fi
head -c 400 "$logs/adapter.json" | tee -a "$out/summary.txt"
echo | tee -a "$out/summary.txt"
if grep -Eqi 'llvmpipe|lavapipe|swiftshader|software' "$logs/adapter.json" && [ -z "${ALLOW_SOFTWARE:-}" ]; then
  echo "run.sh: the adapter is a software one, not the GPU: stopping" | tee -a "$out/summary.txt"
  exit 2
fi

# step NAME SECONDS COMMAND…: runs it time-boxed (its whole process group), its output in
# NAME.txt; a line in the summary; the logs packed again.
step() {
  local name=$1 limit=$2
  shift 2
  if [ "$SECONDS" -ge "$budget" ]; then
    printf '%-22s skipped (%d s used)\n' "$name" "$SECONDS" | tee -a "$out/summary.txt"
    return 0
  fi
  limit=$(awk -v l="$limit" -v s="$scale" 'BEGIN { v = int(l * s); print (v < 5 ? 5 : v) }')
  local t0=$SECONDS rc=0
  timeout -k 5 "$limit" "$@" >"$logs/$name.txt" 2>&1 || rc=$?
  printf '%-22s exit %-3d %4d s of %d\n' "$name" "$rc" $((SECONDS - t0)) "$limit" | tee -a "$out/summary.txt"
  cp bench/results/*.json "$logs/" 2>/dev/null
  # The runs' weights and state stay behind (a 64/16 state.bin alone is 15 MB).
  tar -czf "$out/logs.tar.gz" -C "$logs" --exclude cache --exclude '*.pth' --exclude '*.safetensors' --exclude state.bin .
}

step tune-f32 60 node bin/wgsr.js tune --json
step tune-f16 45 node bin/wgsr.js tune --precision f16 --json
step kernels 75 node bench/kernels.mjs --sizes 128 --rounds 2 --precision f32,f16 --kernels all
for k in register-tile gemm auto; do
  step "x4plus-512-$k" 45 node bin/wgsr.js bench --size 512 --runs 3 --kernels "$k" --json
done
for k in register-tile gemm; do
  step "train-step-$k" 35 env BENCH_TRAIN_KERNELS="$k" BENCH_TRAIN_NETS=srvgg BENCH_TRAIN_ENGINES=wgsr BENCH_TRAIN_STEPS=wgsr:20 BENCH_TIMEOUT_S=30 node bench/train.mjs
done
# wgsr train as a user runs it, stopped by the time box (SIGTERM: a checkpoint, exit 143); its
# log.jsonl has it/s every 50 steps. The degradations are made by all but two of the cores.
workers=$(( $(nproc) > 4 ? $(nproc) - 2 : 2 ))
common=(--hr training/photos/train --scale 4 --degrade realesrgan --clean-prob 0.5 --iters 100000 --batch 16 --patch 32
  --lr-rate 2e-4 --seed 2024 --workers "$workers" --log-every 50 --save-every 100000)
step train-run-32x10 40 node bin/wgsr.js train "${common[@]}" -m models/default/wgsr-compact-x4.safetensors -o "$logs/run-32x10"
step train-run-64x16 40 node bin/wgsr.js train "${common[@]}" --arch srvgg --num-feat 64 --num-conv 16 -o "$logs/run-64x16"

for run in run-32x10 run-64x16; do
  [ -f "$logs/$run/log.jsonl" ] && echo "$run: $(grep -c '"its"' "$logs/$run/log.jsonl") log lines; last: $(grep '"its"' "$logs/$run/log.jsonl" | tail -1)" | tee -a "$out/summary.txt"
done
grep -h -E 'steps/s|it/s|GFLOPS' "$logs"/train-step-*.txt 2>/dev/null | head -20 | tee -a "$out/summary.txt"
echo "done in $SECONDS s; results in $out (summary.txt, logs.tar.gz)" | tee -a "$out/summary.txt"
