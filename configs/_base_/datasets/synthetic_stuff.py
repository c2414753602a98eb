# The generated shapes segmentation dataset (tools/data/generate_shapes_stuff.py):
# COCO-Stuff164k layout, 4 classes (background, circle, square, triangle), 255 on
# the ignored borders, 128x128 images. Used by the segmentation demo and the tests.
# BaseSegDataset with COCOStuffDataset's suffixes: COCOStuffDataset itself only
# accepts (subsets of) COCO-Stuff's 171 class names.
dataset_type = 'BaseSegDataset'
data_root = 'data/shapes_stuff/'
num_classes = 4
metainfo = dict(
    classes=('background', 'circle', 'square', 'triangle'),
    palette=[(128, 128, 128), (220, 40, 40), (40, 170, 40), (40, 70, 220)])

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegLabels', num_classes=num_classes, ignore_index=255),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegLabels', num_classes=num_classes, ignore_index=255),
    dict(type='PackSegInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        img_suffix='.jpg',
        seg_map_suffix='_labelTrainIds.png',
        data_prefix=dict(
            img_path='images/train2017', seg_map_path='annotations/train2017'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        img_suffix='.jpg',
        seg_map_suffix='_labelTrainIds.png',
        data_prefix=dict(
            img_path='images/val2017', seg_map_path='annotations/val2017'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
