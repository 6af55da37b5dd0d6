"""The language of what donors and readers see: the widget, the checkout, the
thank-you pages and the receipts (the admin stays in English).

Catalogs live in ``translations/<lang>/LC_MESSAGES/messages.po`` (``make extract``,
``make compile``; docs/languages.md). A page speaks its drive's locale
unless the embed asks for another language (``?lang=``, ``data-lang``); the locale
chosen also formats its numbers and money (Babel). The choice never comes from
``Accept-Language``: the widget is cached by URL in front of the app, so the URL alone
must say which language a copy is in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from babel import Locale, UnknownLocaleError
from flask import Flask

# The languages with a catalog; any other asked for falls back to the drive's locale.
LANGUAGES = ("en", "es", "fr", "de")
FALLBACK_LOCALE = "en_US"


def init_i18n(app: Flask) -> None:
    """Flask-Babel for the templates' ``_()``/``ngettext``. Its catalogs are read on
    the first page that needs them, not at start-up."""
    # Imported here: only building the app needs it (flask_wtf imports it anyway).
    from flask_babel import Babel

    Babel(app, default_locale="en", default_translation_directories="translations")


def _parse(text: str) -> Locale | None:
    try:
        return Locale.parse(text.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError, AttributeError):
        return None


def display_locale(drive_locale: str | None, requested: str | None = None) -> str:
    """The locale a donor-facing answer is written in: ``requested`` (``de``,
    ``fr-CA``, ``es_MX``) when it names a language with a catalog, else the drive's.
    A bare language the drive already speaks keeps the drive's region (``de`` on a
    ``de_AT`` drive stays ``de_AT``)."""
    own = drive_locale or FALLBACK_LOCALE
    asked = _parse(requested) if requested else None
    if asked is None or asked.language not in LANGUAGES:
        return own
    drive = _parse(own)
    if drive is not None and asked.territory is None and asked.language == drive.language:
        return own
    return str(asked)


def html_lang(locale: str) -> str:
    """``de_DE`` as HTML's ``lang`` attribute wants it: ``de-DE``."""
    return locale.replace("_", "-")


@contextmanager
def speaking(locale: str) -> Iterator[None]:
    """Translate everything rendered inside the block into ``locale``'s language (a
    request or an app context: the worker sends receipts in an app context)."""
    from flask_babel import force_locale

    with force_locale(locale):
        yield


def request_locale(drive_locale: str | None) -> str:
    """The locale of this request's page: the drive's, or the one ``?lang=`` asks for."""
    from flask import request

    return display_locale(drive_locale, request.args.get("lang"))


def lang_query(locale: str, drive_locale: str | None) -> str:
    """``?lang=de-DE`` for links onward when the page speaks another language than its
    drive, so the next page speaks it too; empty otherwise."""
    return "" if locale == (drive_locale or FALLBACK_LOCALE) else f"?lang={html_lang(locale)}"
