#!/usr/bin/env bash
# Puts the photographs of training/DATA.md into DIR/train (the 10 CC0 / public-domain training
# photos) and DIR/val (the 5 held-out ones), as Debian installs them, for `wgsr train --hr
# DIR/train --val DIR/val`. wgsr reads them as they are (PNG/JPEG, grey → RGB, cropped to a
# multiple of the scale), so they are linked, not converted. Needs python3-skimage and
# mate-backgrounds (training/run.sh's apt step installs both).
set -euo pipefail
DIR="${1:?usage: bash training/photos.sh DIR}"
S=/usr/lib/python3/dist-packages/skimage/data
M=/usr/share/backgrounds/mate/nature
TRAIN=("$S/astronaut.png" "$S/rocket.jpg" "$S/hubble_deep_field.jpg" "$S/retina.jpg" "$S/ihc.png"
       "$S/camera.png" "$S/brick.png" "$S/grass.png" "$S/gravel.png" "$S/coins.png")
VAL=("$S/chelsea.png" "$S/coffee.png" "$M/Dune.jpg" "$M/GreenMeadow.jpg" "$M/TwoWings.jpg")
for f in "${TRAIN[@]}" "${VAL[@]}"; do
  [ -f "$f" ] || { echo "photos.sh: $f is missing; install python3-skimage and mate-backgrounds (apt-get install python3-skimage mate-backgrounds)" >&2; exit 1; }
done
mkdir -p "$DIR/train" "$DIR/val"
for f in "${TRAIN[@]}"; do ln -sf "$f" "$DIR/train/"; done
for f in "${VAL[@]}"; do ln -sf "$f" "$DIR/val/"; done
echo "photos.sh: ${#TRAIN[@]} training photos in $DIR/train, ${#VAL[@]} held-out photos in $DIR/val" >&2
