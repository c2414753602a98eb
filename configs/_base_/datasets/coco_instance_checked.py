# mmdet's COCO data (mmdet::_base_/datasets/coco_instance.py) loaded so that bad
# files do not cost the run: an image that is missing, truncated, does not decode
# or decodes to another size than its annotation is skipped with a warning in
# training (another sample is drawn) and scored as a blank, counted image in
# validation and test. The pipelines name mmcv's LoadImageFromFile, which mmdet's
# inference APIs look for; SafeLoadingRunner
# (shufflenet_backbones/engine/safe_loading_runner.py) loads through
# SafeLoadImageFromFile in training, validation and test, and the configs add
# BadSampleHook, which lists and counts the bad files. Otherwise the pipelines are
# mmdet's.
_base_ = 'mmdet::_base_/datasets/coco_instance.py'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
runner_type = 'SafeLoadingRunner'
