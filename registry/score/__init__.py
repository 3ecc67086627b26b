"""Scoring with exported networks: predictions, variant effects, in-silico mutagenesis."""
