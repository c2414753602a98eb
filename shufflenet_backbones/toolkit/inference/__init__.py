"""Running a trained checkpoint on your own images (behind ``tools/infer.py``):
which images (:mod:`.images`), the test pipeline for them (:mod:`.pipelines`) and
mmdet's ``DetInferencer`` with the checkpoint checked first (:mod:`.inferencer`).
Nothing is imported here; import the module you use."""
