"""How every ``donation-drive`` command reports bad input: a domain error becomes a
``click`` error naming the field (``domain_errors``), under the name of the option the
person typed (``options_named``). Each domain's ``commands`` module uses these; none of
them imports the CLI entry point (``cli.py``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from .errors import DonationDriveError


def domain_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DonationDriveError as exc:
            if exc.field:
                raise click.BadParameter(exc.message, param_hint=f"'{exc.field}'") from None
            raise click.ClickException(exc.message) from None

    return wrapper


def options_named(**options: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Report a domain field under the name of the option that set it (``donor_email``
    is ``--email`` here), so the error names what the person typed."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except DonationDriveError as exc:
                if exc.field in options:
                    exc.field = options[exc.field]
                raise

        return wrapper

    return decorate
