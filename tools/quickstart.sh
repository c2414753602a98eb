#!/usr/bin/env bash
# The README's main command. Sets up .venv/ (once; later runs reuse it), then:
#   1. prints every backbone variant's outputs, FLOPs and parameters;
#   2. generates the shapes dataset (COCO format, held-out val split) in data/shapes/;
#   3. trains Light-Head R-CNN + ShuffleNetV2 on it from random init, on CPU;
#   4. evaluates COCO bbox mAP on the val split (pycocotools) and draws predictions;
#   5. plots the training losses;
# then prints the commands for what comes next: infer on your own images, train on
# your own COCO-format data, export the backbone.
# WORK_DIR (default work_dirs/quickstart) moves the outputs; SEED (default 0) sets
# the training seed (the data are always those of seed 0).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup_env.sh

PY=.venv/bin/python
CONFIG=configs/det/lighthead_shufflenetv2_shapes_demo.py
WORK_DIR="${WORK_DIR:-work_dirs/quickstart}"
SEED="${SEED:-0}"
DATA_DIR=data/shapes  # where the config's data_root points
MIN_MAP=0.5

echo "== 1/5 backbones"
$PY tools/demo_backbones.py

echo "== 2/5 generated data -> $DATA_DIR"
$PY tools/data/generate_shapes_coco.py "$DATA_DIR" --num-train 200 --num-val 50 \
    --size 128 --max-objects 2 --seed 0

echo "== 3/5 training (CPU, a few minutes) -> $WORK_DIR"
$PY tools/train.py "$CONFIG" --work-dir "$WORK_DIR" --cfg-options "randomness.seed=$SEED"
CHECKPOINT="$(cat "$WORK_DIR/last_checkpoint")"

echo "== 4/5 evaluation on the held-out split"
$PY tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR" \
    --show-dir predictions --out "$WORK_DIR/predictions.pkl" \
    2>&1 | tee "$WORK_DIR/test.log"
BBOX_MAP="$(grep -o 'coco/bbox_mAP: [0-9.]*' "$WORK_DIR/test.log" | tail -n1 | cut -d' ' -f2)"
PREDICTIONS="$(ls -d "$WORK_DIR"/*/predictions | tail -n1)"

echo "== 5/5 loss curve"
$PY tools/analysis/plot_loss.py "$WORK_DIR"

cat <<SUMMARY

== quickstart results
bbox mAP (COCO, held-out val, 50 images): ${BBOX_MAP:-not found}
checkpoint:        $CHECKPOINT
predicted boxes:   $PREDICTIONS/  (left: ground truth, right: prediction)
loss curve:        $WORK_DIR/loss_curve.png
wall time:         $SECONDS s (set-up included)
raw predictions:   $WORK_DIR/predictions.pkl
SUMMARY
if [ -z "$BBOX_MAP" ] || ! $PY -c "import sys; sys.exit(float('$BBOX_MAP') < $MIN_MAP)"; then
    echo "quickstart: ERROR: bbox mAP ${BBOX_MAP:-missing} is below $MIN_MAP" >&2
    exit 1
fi

# What a new user does next, as commands to copy (only tools that exist now).
cat <<NEXT

== next steps
detect objects in your own images (files or folders; this model knows only the generated
shapes, e.g. $DATA_DIR/val/000000.png) -> drawn in $WORK_DIR/infer/vis/, JSON in $WORK_DIR/infer/preds/:
  $PY tools/infer.py $CONFIG $CHECKPOINT path/to/image.jpg --out-dir $WORK_DIR/infer
train on your own data: a COCO folder laid out as $DATA_DIR/ (annotations/instances_{train,val}.json,
train/, val/; tools/data/convert.py converts VOC, YOLO, CSV and LabelMe data to it); classes
and num_classes come from it, the data and anchors are checked first (docs/detection.md):
  $PY tools/train.py configs/det/lighthead_shufflenetv2.py --data path/to/coco_folder
  (VOC / YOLO / CSV / LabelMe: $PY tools/data/convert.py path/to/folder data/mine --from voc, then --data data/mine)
deploy the whole detector: one ONNX file (standard ops), evaluated and run by onnxruntime or
OpenVINO (--backend openvino), and its INT8 version (docs/deployment.md):
  $PY tools/deploy/export.py $CONFIG $CHECKPOINT $WORK_DIR/detector.onnx
  $PY tools/test.py $CONFIG $WORK_DIR/detector.onnx --backend onnxruntime --work-dir $WORK_DIR
  $PY tools/deploy/infer.py $WORK_DIR/detector.onnx $DATA_DIR/val/000000.png --out-dir $WORK_DIR/deploy_infer
  $PY tools/deploy/quantize.py $WORK_DIR/detector.onnx --calib $CONFIG --out $WORK_DIR/detector_int8.onnx
export the trained backbone, for init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')
in another config:
  $PY tools/model_converters/extract_backbone.py $CHECKPOINT $WORK_DIR/backbone.pth
NEXT
