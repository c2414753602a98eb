"""Workflow code for using a trained model (not imported by the plugin): running a
detector on your own images (:mod:`.inference`, behind ``tools/infer.py``). Nothing
is imported here; import the module you use."""
