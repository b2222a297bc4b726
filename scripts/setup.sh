#!/usr/bin/env bash
# Sets up a machine to run wgsr: a working Vulkan driver for Dawn (Linux without a GPU: Mesa's
# lavapipe, from bookworm-backports on Debian 12 — Mesa 22 makes Dawn hand out a null adapter),
# ffmpeg (for wgsr video), then the npm dependencies and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null && grep -q 'VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  BACKPORTS=/etc/apt/sources.list.d/bookworm-backports.sources
  if [ ! -f "$BACKPORTS" ]; then
    $SUDO tee "$BACKPORTS" >/dev/null <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  fi
  if ! dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^25\.'; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
  fi
  echo "mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)" >&2
  # wgsr video decodes and encodes through Debian's ffmpeg (its tests need it too).
  if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq ffmpeg >/dev/null
  fi
  ffmpeg -version | sed -n 1p >&2 || true
else
  echo "setup: not Debian bookworm; make sure a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver is installed, and ffmpeg for wgsr video" >&2
fi

# npm ci refuses a lock file that lacks other platforms' optional packages (deno's, rollup's,
# bun-webgpu's), and a registry mirror that holds only some platforms' builds makes npm write
# exactly such a lock file. npm install with the same lock installs the same versions.
if ! npm ci --no-audit --no-fund; then
  echo "setup: npm ci refused the lock file; installing the locked versions with npm install" >&2
  npm install --no-audit --no-fund
fi
