"""Shared vocabulary: errors, atomic file writes, DNA sequences as arrays. NumPy only."""
