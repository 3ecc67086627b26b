"""Runs and studies: one model on one dataset (run directory, model card), models x experiments, reports."""
