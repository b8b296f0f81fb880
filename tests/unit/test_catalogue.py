"""Every text a user can read exists in French, and each translation keeps the same placeholders.

The sources are extracted as ``scripts/i18n.py`` does (babel.cfg), so a text added without its
French translation fails here; run ``python scripts/i18n.py`` to see the list.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "i18n.py"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|\{(\w+)\}")


@pytest.fixture(scope="module")
def i18n():
    spec = importlib.util.spec_from_file_location("countapp_i18n_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def catalogue(i18n):
    return i18n.load()


def _ids(message) -> list[str]:
    return list(message.id) if message.pluralizable else [message.id]


def _strings(message) -> list[str]:
    return list(message.string) if message.pluralizable else [message.string]


def test_every_text_in_the_sources_has_a_french_translation(i18n, catalogue):
    extracted = i18n.extract()
    missing = []
    for message in extracted:
        if not message.id:
            continue
        translated = catalogue.get(message.id)
        if translated is None or translated.fuzzy or not all(_strings(translated)):
            missing.append(_ids(message)[0])
    assert not missing, f"{len(missing)} texts without French (run python scripts/i18n.py): {missing[:20]}"


def test_translations_keep_the_placeholders(catalogue):
    wrong = []
    for message in catalogue:
        if not message.id or not all(_strings(message)):
            continue
        expected = {m for pair in PLACEHOLDER.findall(_ids(message)[-1]) for m in pair if m}
        texts = _strings(message)
        for index, text in enumerate(texts):
            found = {m for pair in PLACEHOLDER.findall(text) for m in pair if m}
            # A singular form may leave the number out ("Importer cette ligne"), as its English does.
            singular = message.pluralizable and index < len(texts) - 1
            if found != expected and not (singular and found <= expected):
                wrong.append((_ids(message)[0], text))
    assert not wrong, wrong[:10]
