"""Where ``bindreg publish`` puts a run: a DVC artifact with a GTO version tag in a git repository."""

import bindreg
from bindreg.catalog import PublishTarget
from bindreg.hub.publish import publish_to_dvc


@bindreg.hookimpl
def register_publish_targets(register):
    register(PublishTarget("dvc", "a versioned DVC artifact (GTO tags) in --repo, pushed to its DVC remote",
                           publish_to_dvc))
