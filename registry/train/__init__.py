"""Networks and their training: Gluon blocks, the paper's protocol, packed search, baselines, export."""
