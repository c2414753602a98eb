"""Workflow code for measuring (not imported by the plugin): FLOPs and parameter
counts, the backbone and detector benchmarks, their reports and the README tables
rendered from them, and the loss curve of a training run."""
