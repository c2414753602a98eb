# Real aerial photographs: the NEON tree-crown images that the deepforest package
# (2.1.0, CC0 data) ships, cut into 200 px tiles and split 80 / 20 by
# tools/analysis/benchmark_real_photos.py (data/deepforest_trees/, COCO format,
# one class). Tiles are shown at their own scale: the median crown is 38 px, above
# the configs' smallest anchor (32 px), and a detector's cost on CPU is the budget
# (at 2x, 400 px, Light-Head R-CNN took 3 s per iteration of 8 tiles here).
# Aerial views have no "up": flips in both axes.
# The loaders, runner and evaluator are the generated shapes' (the same COCO folder
# layout, batch 8); what differs is set here.
_base_ = ['./synthetic_shapes.py']

data_root = 'data/deepforest_trees/'
image_size = 200
metainfo = dict(classes=('Tree', ), palette=[(0, 200, 0)])

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='RandomFlip', prob=0.75,
         direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
