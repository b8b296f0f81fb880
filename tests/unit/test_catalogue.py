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


# --- French that reads as French --------------------------------------------------------------------

NNBSP = "\u202f"
# Placeholders that hold a count: when a word follows one, the text needs singular and plural forms.
NUMBER_NAMES = {"n", "num", "count", "total", "done", "missing", "pending", "remaining", "voided", "shown", "answered",
                "lines", "pages", "seconds", "recount", "final", "r1", "r2", "r3", "pre", "blank", "items", "errors",
                "tickets_count", "events", "seals", "places", "zones", "sites"}
NUMBER = re.compile(r"%\((\w+)\)([sd])|\{(\w+)\}")
# Words that may follow a count without being its noun ("3 of 5", "2 × 4").
NOT_NOUNS = {"of", "to", "and", "or", "in", "at", "on", "by", "×", "sur"}
# Texts where a number placeholder before a word is not a count of that word, each with why.
NOT_COUNTS = {
    "Team %(n)s added.": "a team's number",
    "Floor record of team %(n)s saved.": "a team's number",
    "Sample %(n)s drawn with seed %(seed)s: %(num)d line.": "a sample's number; the lines are the plural",
    "Sample %(n)s drawn with seed %(seed)s: %(num)d lines.": "a sample's number; the lines are the plural",
    "The first %(n)s are listed.": "nothing follows the count",
    "The first %(shown)s of %(total)s are listed.": "nothing follows the counts",
    "and {n} more": "no noun: the count of what is left",
    "The count date %(count)s is after the closing date %(closing)s: movements are rolled forward from the count to "
    "the closing date, so the count must come first.": "a date",
}
# Limits fixed in the code, always more than one: their noun is always plural.
FIXED_LIMITS = {
    "%(name)s is too long (at most %(n)s characters).",
    "At least %(n)s characters; not your login, not a common password.",
    "The reason is too long (at most %(n)s characters).",
    "The text is too long (at most %(n)s characters).",
    "At most %(n)s decimals are allowed.",
    "Only the first %(n)s errors are shown.",
    "At most %(n)s lines at once.",
    "A recount sheet holds at most %(n)s tickets.",
    "The password must have at most %(max)s characters.",
    "The password must have at least %(min)s characters.",
    "A sample takes from 0 to %(max)s lines.",
    "'%(value)s' is longer than %(max)s characters: shorten it.",
    "'%(value)s' has more than %(places)s decimals: round it to %(places)s.",
    "This text is too long (%(length)s characters, at most %(limit)s): %(value)s…",
    "The text of section %(key)s is too long: at most %(limit)s characters.",
    "The count date %(count)s is more than %(days)s days from the closing date %(closing)s.",
    "The count date %(count)s of %(zone)s is more than %(days)s days from the closing date %(closing)s.",
    "The stock date %(date)s is more than %(days)s days from the closing date %(closing)s.",
    "The worker stopped before the job ended (no sign of life for %(seconds)s seconds): nothing of it was written. "
    "Start it again.",
}


def counts_before_a_word(text: str) -> list[str]:
    """The count placeholders of ``text`` that a word follows ("%(n)s tickets")."""
    found = []
    for match in NUMBER.finditer(text):
        name = match.group(1) or match.group(3)
        if not (match.group(2) == "d" or name in NUMBER_NAMES):
            continue
        after = re.match(r"\s+([^\W\d]+)", text[match.end():])
        if after and after.group(1) not in NOT_NOUNS:
            found.append(match.group(0))
    return found


def _french(catalogue):
    for message in catalogue:
        if message.id:
            for text in _strings(message):
                yield _ids(message)[0], text


def test_a_count_before_a_word_is_a_plural_entry(i18n):
    single = [m.id for m in i18n.extract() if m.id and not m.pluralizable and counts_before_a_word(m.id)
              and m.id not in NOT_COUNTS and m.id not in FIXED_LIMITS]
    assert not single, f"use ngettext / Nn_ for: {single}"


def test_the_count_rule_sees_counts_and_leaves_numbers_alone():
    assert counts_before_a_word("%(n)s tickets need a third count.") == ["%(n)s"]
    assert counts_before_a_word("{n} loose cartons") == ["{n}"]
    assert counts_before_a_word("%(num)d line checked") == ["%(num)d"]
    assert counts_before_a_word("Page %(page)s of %(pages)s") == []
    assert counts_before_a_word("%(done)s of %(total)s") == []
    assert counts_before_a_word("Ticket %(ticket)s voided.") == []
    assert counts_before_a_word("round %(round)s: %(n)s.") == []


def test_no_text_says_s_in_brackets(catalogue):
    both = [(m, t) for m in catalogue if m.id for t in _ids(m) + _strings(m)]
    assert not [t for _, t in both if "(s)" in t], "write singular and plural forms (ngettext) instead of (s)"


def test_every_plural_form_is_filled(catalogue):
    short = [m.id[0] for m in catalogue if m.id and m.pluralizable and (len(m.string) != 2 or not all(m.string))]
    assert not short, short


def test_french_uses_the_typographic_apostrophe(catalogue):
    straight = [(msgid, text) for msgid, text in _french(catalogue) if "'" in text]
    assert not straight, straight[:10]


def test_french_puts_a_narrow_no_break_space_before_high_punctuation(catalogue):
    # "14:30" and "NUMÉRO:EMPREINTE" are not punctuation: the sign sits between two non-spaces.
    wrong = [(msgid, text) for msgid, text in _french(catalogue)
             if re.search(r"(?<!\u202f)[:;!?](?=\s|$)", text) or re.search(r"[ \u00a0][:;!?]", text)
             or re.search(r"«(?!\u202f)|(?<!\u202f)»", text)]
    assert not wrong, wrong[:10]


def test_french_keeps_to_the_glossary(catalogue):
    avoid = glossary_avoid()
    assert "stock comptable" in avoid   # the glossary was read
    found = [(term, msgid) for msgid, text in _french(catalogue) for term in avoid
             if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text.lower())]
    assert not found, found[:10]


def glossary_avoid() -> set[str]:
    """The French words docs/glossary.md says not to use (its "Not" column, comma-separated)."""
    path = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"
    avoid = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and cells[2] and not set(cells[2]) <= set("-: "):
            avoid.update(word.strip().strip("«»\u202f ").lower() for word in cells[2].split(",")
                         if word.strip() and cells[2] != "Not")
    return avoid


# --- French written in Python (documents made without Flask) ----------------------------------------

def _french_in_modules() -> list[tuple[str, str]]:
    """Every French text of the document modules: values under a "fr" key, and the French-only module."""
    import instructions.labels
    import instructions.missing
    import instructions.texts_fr
    import reports.annual_texts
    import reports.confirmation_pdf
    import reports.texts
    import reports.xlsx_texts
    import tickets.ticket_texts

    found = []

    def walk(value, where, french):
        if isinstance(value, str):
            if french:
                found.append((where, value))
        elif isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{where}.{key}", french or key == "fr")
        elif isinstance(value, (tuple, list)):
            for index, inner in enumerate(value):
                walk(inner, f"{where}[{index}]", french)

    for module in (instructions.labels, reports.annual_texts, reports.confirmation_pdf, reports.texts,
                   reports.xlsx_texts, tickets.ticket_texts):
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, dict):
                walk(value, f"{module.__name__}.{name}", False)
    walk(instructions.missing._FR, "instructions.missing._FR", True)
    walk({"t": instructions.texts_fr.TITLES, "b": instructions.texts_fr.BODIES}, "instructions.texts_fr", True)
    return found


def test_french_in_documents_reads_as_french():
    texts = _french_in_modules()
    assert len(texts) > 300
    assert not [(w, t) for w, t in texts if "'" in t], "use ’"
    assert not [(w, t) for w, t in texts if "(s)" in t], "use a (singular, plural) pair"
    assert not [(w, t) for w, t in texts if re.search(r"[ \u00a0][:;!?]|«(?![\u202f])", t)], "narrow no-break space"
    avoid = glossary_avoid()
    assert not [(w, term) for w, t in texts for term in avoid
                if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", t.lower())], "docs/glossary.md"
