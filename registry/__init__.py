"""bindreg: a plugin-based registry of models of transcription-factor binding.

Reimplements and extends Zeng et al., "Convolutional neural network architectures
for predicting DNA-protein binding", Bioinformatics 32(12):i121 (2016).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bindreg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from .host.hookspecs import hookimpl  # noqa: E402  (plugins write `@bindreg.hookimpl`)
from . import flat  # noqa: E402

flat.install()  # `import bindreg.catalog` and the other flat names of 0.1 keep working

__all__ = ["__version__", "hookimpl"]
