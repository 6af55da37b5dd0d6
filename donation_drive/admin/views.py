"""Imports every admin view module so their routes attach to the blueprint."""

from . import auth, display, donations, exports, navigation, overview  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
