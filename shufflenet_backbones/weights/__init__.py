"""Workflow code for weights (not imported by the plugin): converting published
checkpoints to this package's keys, exporting a trained classifier's backbone, and
comparing a checkpoint's state dict with a model's."""
