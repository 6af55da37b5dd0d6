"""The catalogs are complete and current: every message of the code has a real
translation in every language, the template matches the code (`make extract` was
run), and the compiled .mo files the app reads match their .po (`make compile`)."""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.support import Translations

from .catalogs import ROOT, TRANSLATED, TRANSLATIONS, catalog, template


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_has_a_translation_that_is_not_fuzzy(lang: str):
    translated = catalog(lang)
    wanted = {m.id for m in template() if m.id}
    missing = []
    for message in translated:
        if not message.id:
            continue
        forms = [message.string] if isinstance(message.id, str) else list(message.string)
        if message.fuzzy or not forms or not all(form and form.strip() for form in forms):
            missing.append(message.id)
        elif not isinstance(message.id, str):
            assert len(forms) == translated.num_plurals, message.id
    assert not missing, f"{lang}: untranslated or fuzzy: {missing}"
    assert wanted <= {m.id for m in translated if m.id}, f"{lang}: run `make extract`"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_every_placeholder(lang: str):
    """Babel's own checks: the same %(name)s placeholders as the English, so no
    figure is dropped and no gettext call fails."""
    problems = [
        (message.id, [str(error) for error in errors]) for message, errors in catalog(lang).check()
    ]
    assert not problems
    for message in catalog(lang):
        for english, translated in zip(
            [message.id] if isinstance(message.id, str) else message.id[:1],
            [message.string] if isinstance(message.id, str) else message.string[:1],
            strict=True,
        ):
            for brace in ("{amount}", "{status}"):
                assert (brace in english) == (brace in translated), (lang, english)


def test_the_template_holds_every_message_of_the_code():
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    extracted = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        extracted.add(message if isinstance(message, str) else message[0])
    in_template = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id}
    assert extracted == in_template, "run `make extract` and translate the new messages"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_compiled_catalog_the_app_reads_matches_its_source(lang: str):
    mo = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    assert mo.is_file(), "run `make compile`"
    with mo.open("rb") as compiled:
        translations = Translations(compiled)
    for message in catalog(lang):
        if message.id and isinstance(message.id, str):
            assert translations.gettext(message.id) == message.string, "run `make compile`"
