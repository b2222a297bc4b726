#!/usr/bin/env bash
# Puts the photographs of training/DATA.md where `wgsr train` reads them, as Debian installs them:
# DIR/train the 10 CC0 / public-domain photos the default was first trained on from scratch,
# DIR/finetune those 10 and the 2 colour photos added for the fine-tunes (12), DIR/val the 5
# held-out ones. wgsr reads them as they are (PNG/JPEG, grey → RGB, cropped to a multiple of the
# scale), so they are linked, not converted; the one exception is SciPy's raccoon, which Debian
# ships as raw RGB bytes compressed with bzip2 and which is written out once as a PNG. Needs
# python3-skimage (and the python3-scipy it depends on), mate-backgrounds,
# lomiri-wallpapers-16.04 and bzip2 (training/run.sh's apt step installs them), and the
# repository's npm install (pngjs).
set -euo pipefail
DIR="${1:?usage: bash training/photos.sh DIR}"
HERE="$(cd "$(dirname "$0")" && pwd)"
S=/usr/lib/python3/dist-packages/skimage/data
M=/usr/share/backgrounds/mate/nature
L=/usr/share/backgrounds
FACE=/usr/lib/python3/dist-packages/scipy/misc/face.dat
TRAIN=("$S/astronaut.png" "$S/rocket.jpg" "$S/hubble_deep_field.jpg" "$S/retina.jpg" "$S/ihc.png"
       "$S/camera.png" "$S/brick.png" "$S/grass.png" "$S/gravel.png" "$S/coins.png")
ADDED=("$L/seeding_by_Clements_Engelhardt.jpg") # and face.png, written below
VAL=("$S/chelsea.png" "$S/coffee.png" "$M/Dune.jpg" "$M/GreenMeadow.jpg" "$M/TwoWings.jpg")
for f in "${TRAIN[@]}" "${ADDED[@]}" "${VAL[@]}" "$FACE"; do
  [ -f "$f" ] || { echo "photos.sh: $f is missing; install python3-skimage, mate-backgrounds and lomiri-wallpapers-16.04 (apt-get install python3-skimage mate-backgrounds lomiri-wallpapers-16.04)" >&2; exit 1; }
done
command -v bzcat >/dev/null || { echo "photos.sh: bzcat is missing; install bzip2 (apt-get install bzip2)" >&2; exit 1; }
mkdir -p "$DIR/train" "$DIR/finetune" "$DIR/val"
for f in "${TRAIN[@]}"; do ln -sf "$f" "$DIR/train/"; ln -sf "$f" "$DIR/finetune/"; done
for f in "${ADDED[@]}"; do ln -sf "$f" "$DIR/finetune/"; done
for f in "${VAL[@]}"; do ln -sf "$f" "$DIR/val/"; done
# face.dat: 1024×768 RGB, row-major, 8 bits per channel (scipy.misc.face reads it the same way).
if [ ! -f "$DIR/finetune/face.png" ]; then
  bzcat "$FACE" | (cd "$HERE/.." && node -e '
    const { PNG } = require("pngjs");
    const chunks = []; process.stdin.on("data", (c) => chunks.push(c)).on("end", () => {
      const rgb = Buffer.concat(chunks), width = 1024, height = 768;
      if (rgb.length !== width * height * 3) throw new Error(`face.dat holds ${rgb.length} bytes, not ${width}×${height}×3`);
      const png = new PNG({ width, height });
      for (let i = 0; i < width * height; i++) {
        png.data[4 * i] = rgb[3 * i]; png.data[4 * i + 1] = rgb[3 * i + 1]; png.data[4 * i + 2] = rgb[3 * i + 2]; png.data[4 * i + 3] = 255;
      }
      process.stdout.write(PNG.sync.write(png, { colorType: 2 }));
    });') > "$DIR/finetune/face.png.tmp"
  mv "$DIR/finetune/face.png.tmp" "$DIR/finetune/face.png"
fi
echo "photos.sh: ${#TRAIN[@]} training photos in $DIR/train, $((${#TRAIN[@]} + ${#ADDED[@]} + 1)) in $DIR/finetune, ${#VAL[@]} held-out photos in $DIR/val" >&2
