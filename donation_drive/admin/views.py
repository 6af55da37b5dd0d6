"""Imports every admin view module so their routes attach to the blueprint."""

from . import (  # noqa: F401
    auth,
    display,
    donations,
    drives,
    entry,
    exports,
    imports,
    navigation,
    operations,
    overview,
)
from .blueprint import bp

__all__ = ["bp"]
