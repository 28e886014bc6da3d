"""baerum-sim: transport and accessibility scenarios for Bærum municipality."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("baerum-sim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
