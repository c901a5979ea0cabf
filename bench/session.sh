#!/usr/bin/env bash
# Every speed figure of the README's Speed section, in one run, for the current build and (when
# given) an older build of caption, beside ONNX Runtime and PyTorch measured in the same run.
#
#   bench/session.sh [--before OLD/caption] [--photos DIR]   # DIR: a folder of photos for caption batch
#
# Needs (on a developer's machine only): python3 with onnxruntime, onnx, numpy and Pillow for the
# ONNX Runtime figures; torch for PyTorch's training epoch (skipped, with a note, when absent).
# Run it on a quiet machine: other work on the two cores changes every figure.
set -uo pipefail
cd "$(dirname "$0")/.."
after=.build/release/caption before="" photos=""
while [ $# -gt 0 ]; do
    case "$1" in
        --before) before="$2"; shift 2 ;;
        --photos) photos="$2"; shift 2 ;;
        *) echo "usage: bench/session.sh [--before OLD/caption] [--photos DIR]" >&2; exit 2 ;;
    esac
done
[ -x "$after" ] || { echo "session.sh: build first: swift build -c release --product caption" >&2; exit 1; }
photo=examples/astronaut.jpg
export CAPTION_WEIGHTS_DIR="$PWD/weights"   # an older build elsewhere reads the same weights
section() { printf '\n## %s\n' "$*"; }

section "machine"
lscpu | grep -E "^Model name|^CPU\(s\)" ; date -u

section "ONNX Runtime: the encoder alone, and a fresh process computing one photo's features"
[ -f .cache/vgg16_conv_base.onnx ] || python3 bench/onnxruntime_photo.py --prepare .cache/vgg16.onnx >/dev/null
python3 bench/onnxruntime_encoder.py .cache/vgg16.onnx
python3 bench/onnxruntime_photo.py "$photo" >/dev/null   # warm the page cache
for i in 1 2 3; do /usr/bin/time -f "onnxruntime fresh process, one photo's features: %e s, %M KB peak RSS" \
    python3 bench/onnxruntime_photo.py "$photo" >/dev/null; done

for binary in $before $after; do
    section "$binary"
    "$binary" "$photo" >/dev/null   # first use: prepared weights, page cache
    for i in 1 2 3; do /usr/bin/time -f "fresh caption $photo: %e s, %M KB peak RSS" "$binary" "$photo" >/dev/null; done
    "$binary" bench encoder --runs 5
    "$binary" bench decoder --beam-sizes 1,3
    "$binary" bench end-to-end "$photo"
    [ -n "$photos" ] && "$binary" bench end-to-end --dir "$photos"
    "$binary" bench train --help >/dev/null 2>&1 && "$binary" bench train --steps 20
done

section "PyTorch: one cross-entropy epoch of the same captioner"
if python3 -c "import torch" 2>/dev/null; then for t in 1 2; do python3 bench/pytorch_train.py --steps 30 --threads $t; done; else echo "torch not installed: skipped"; fi
