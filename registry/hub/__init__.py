"""The model repository: bundles, publishing (DVC + GTO), pulling and checking, the static site."""
