"""Measuring models without timing them (not imported by the plugin): multiply-adds
and parameters (:mod:`.complexity`, :mod:`.flops`), the backbone summary, the loss
curve of a run, and the report files measurements are written to (:mod:`.reports`)."""
