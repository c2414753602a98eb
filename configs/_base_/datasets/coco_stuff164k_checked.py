# mmseg's COCO-Stuff164k base (data/coco_stuff164k, 171 classes, 512x512 crops,
# IoUMetric mIoU) with CheckSegLabels right after LoadAnnotations: a label map that
# is not a 0-170 / 255 train-id map fails naming the file. The pipelines are mmseg's
# otherwise (a base's list cannot be edited in place, so they are written out).
_base_ = 'mmseg::_base_/datasets/coco-stuff164k.py'

num_classes = 171
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegLabels', num_classes=num_classes, ignore_index=255),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    # after Resize: the metric compares with the label map at its original size
    dict(type='LoadAnnotations'),
    dict(type='CheckSegLabels', num_classes=num_classes, ignore_index=255),
    dict(type='PackSegInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
