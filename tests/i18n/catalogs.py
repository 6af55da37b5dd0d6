"""Reading the catalogs and rendered answers for the language tests: the English of
every message, and what of it shows in a page that should speak another language."""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from donation_drive.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "donation_drive" / "translations"
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != "en")  # English is the source
# Placeholders ("%(amount)s", "{amount}"), markup, and the punctuation between
# clauses: what is left are the phrases a reader reads.
_SEPARATORS = re.compile(r"%\(\w+\)s|\{\w+\}|<[^>]+>|[.,:;!?()…·+]")


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


@cache
def template() -> Catalog:
    return read_catalog(TRANSLATIONS / "messages.pot")


@cache
def catalog(lang: str) -> Catalog:
    return read_catalog(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")


def _texts(value: str | tuple | list) -> list[str]:
    return [value] if isinstance(value, str) else [text for text in value if text]


def _phrases(text: str) -> set[str]:
    return {part.strip() for part in _SEPARATORS.split(text) if re.search("[A-Za-z]{2}", part)}


@cache
def english_phrases(lang: str) -> frozenset[str]:
    """Every phrase of the English messages, less those the language's own catalog
    uses too ("PayPal", "Stripe", German "Name", French "Message")."""
    english = {p for m in template() if m.id for text in _texts(m.id) for p in _phrases(text)}
    own = " ".join(text for m in catalog(lang) if m.id for text in _texts(m.string))
    return frozenset(p for p in english if not re.search(rf"\b{re.escape(p)}\b", own))


def untranslated(text: str, lang: str) -> list[str]:
    """The English phrases found in ``text`` (whole words, case as written)."""
    return sorted(p for p in english_phrases(lang) if re.search(rf"\b{re.escape(p)}\b", text))


class _Readable(HTMLParser):
    """What a reader or a screen reader gets from a page: its text, the attributes
    assistive technology reads, and the sentences the page's scripts will show."""

    ATTRIBUTES = ("aria-label", "aria-valuetext", "title", "alt", "placeholder")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and name in self.ATTRIBUTES:
                self.parts.append(value)
            if value and name == "data-texts":
                self.parts.extend(json.loads(value).values())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def readable(html: str) -> str:
    parser = _Readable()
    parser.feed(html)
    return "\n".join(parser.parts)
