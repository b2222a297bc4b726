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

# npm ci installs exactly the lock file. Should a registry mirror lack some platform's optional
# package that the lock names, npm ci would refuse the whole lock with a page of errors: ask first
# (quietly: a dry run installs nothing and runs no scripts), and install the same locked versions
# with npm install instead. package.json's allowScripts answers npm ≥ 11 for each dependency's
# install script: only bun's runs (it puts the platform's bun binary in place for `npm run
# test:bun`); the others are not needed.
if npm ci --dry-run --ignore-scripts --no-audit --no-fund >/dev/null 2>&1; then
  npm ci --no-audit --no-fund
else
  echo "setup: npm ci does not accept the lock file with this registry; installing the locked versions with npm install" >&2
  npm install --no-audit --no-fund
fi
