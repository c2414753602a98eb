#!/usr/bin/env bash
# Semantic segmentation demo. Sets up .venv/ (once; later runs reuse it), then:
#   1. generates the shapes segmentation dataset (COCO-Stuff164k layout, held-out
#      val split) in data/shapes_stuff/;
#   2. trains the light FCN head on ShuffleNetV2 1x on it from random init, on CPU
#      (configs/seg/fcn_shufflenetv2_shapes_demo.py, a few minutes);
#   3. evaluates mIoU (mmseg's IoUMetric) on the val split with tools/test.py and
#      saves every val image with ground truth (left) and prediction (right) drawn.
# WORK_DIR (default work_dirs/demo_segmentation) moves the outputs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup_env.sh

PY=.venv/bin/python
CONFIG=configs/seg/fcn_shufflenetv2_shapes_demo.py
WORK_DIR="${WORK_DIR:-work_dirs/demo_segmentation}"
DATA_DIR=data/shapes_stuff  # where the config's data_root points
MIN_MIOU=70  # percent; the seeded run reaches about 88
START=$SECONDS

echo "== 1/3 generated data -> $DATA_DIR"
# a fresh folder: mmseg lists every file there, left-overs of a larger run included
rm -rf "$DATA_DIR"
$PY tools/data/generate_shapes_stuff.py "$DATA_DIR" --num-train 200 --num-val 50 \
    --size 128 --max-objects 3 --seed 0

echo "== 2/3 training (CPU, a few minutes) -> $WORK_DIR"
$PY tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
CHECKPOINT="$(cat "$WORK_DIR/last_checkpoint")"

echo "== 3/3 evaluation and drawings on the held-out split"
# absolute: mmseg's visualizer takes a relative save_dir from the current folder
SHOW_DIR="$(cd "$WORK_DIR" && pwd)/predictions"
rm -rf "$SHOW_DIR"
$PY tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR" \
    --show-dir "$SHOW_DIR" 2>&1 | tee "$WORK_DIR/test.log"
MIOU="$(grep -o 'mIoU: [0-9.]*' "$WORK_DIR/test.log" | tail -n1 | cut -d' ' -f2)"
IMAGES="$SHOW_DIR/vis_data/vis_image"

cat <<SUMMARY

== segmentation demo results
mIoU (4 classes, held-out val, 50 images): ${MIOU:-not found} %
checkpoint:       $CHECKPOINT
predicted masks:  $IMAGES/  ($(ls "$IMAGES" 2>/dev/null | wc -l) images; left: ground truth, right: prediction)
per-class IoU:    $WORK_DIR/test.log
wall time:        $((SECONDS - START)) s
SUMMARY
if [ -z "$MIOU" ] || ! $PY -c "import sys; sys.exit(float('$MIOU') < $MIN_MIOU)"; then
    echo "demo_segmentation: ERROR: mIoU ${MIOU:-missing} is below $MIN_MIOU" >&2
    exit 1
fi
