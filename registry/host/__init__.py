"""The plugin host: hook specs, the item types plugins register, hyper-parameter spaces, loading."""
