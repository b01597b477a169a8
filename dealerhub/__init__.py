"""dealerhub: an open-source dealership finance integration hub."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dealerhub")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]
