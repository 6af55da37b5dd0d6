"""Form helpers every admin page family uses.

The forms (in each family's ``forms.py``) carry what was typed and the CSRF token; the
values are checked by the domain's own parsers (``amount_text``, ``ledger.validation``),
so the web form, the CLI and the importer refuse the same things in the same words.
``FieldErrors`` puts each domain error under the form field it names, so the page
shows it next to the input at fault. ``one_of`` is the one check that a typed or
picked value is among the allowed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from ..errors import DonationDriveError, InvalidInput

T = TypeVar("T")


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def choice_values(field: SelectField) -> set[str]:
    return {choice.value for choice in field.choices}


def one_of(value: str | None, allowed: Iterable[str], field: str) -> str:
    """``value`` if it is one of ``allowed``; else ``InvalidInput`` naming ``field`` and
    listing the allowed values."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidInput(f"choose one of {', '.join(allowed)}", field)
    return value


class FieldErrors:
    """Domain errors collected under the form fields they name.

    ``aliases`` maps a domain field name (``reason``) to the form's (``void_reason``);
    an error naming no field of the form is shown above the form.
    """

    def __init__(self, form: FlaskForm, aliases: Mapping[str, str] | None = None) -> None:
        self.form = form
        self.aliases = {**getattr(form, "domain_fields", {}), **(aliases or {})}
        self.count = 0

    def add(self, exc: DonationDriveError) -> None:
        name = self.aliases.get(exc.field or "", exc.field)
        field = self.form._fields.get(name) if name and name != "csrf_token" else None
        if field is None:
            self.form.form_errors.append(str(exc))
        else:
            field.errors = [*field.errors, exc.message]
        self.count += 1

    def check(self, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``parse(*args, **kwargs)``, or None with its error recorded."""
        try:
            return parse(*args, **kwargs)
        except DonationDriveError as exc:
            self.add(exc)
            return None

    def __bool__(self) -> bool:
        return self.count > 0
