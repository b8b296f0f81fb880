"""Keep the French catalogue in step with the code.

    python scripts/i18n.py                     # extract, merge into messages.po, list what is untranslated
    python scripts/i18n.py fr_area.json ...    # the same, filling translations from JSON files

A JSON file maps an English msgid to its French text (a list of two texts for plural forms).
Untranslated msgids are written to ``untranslated.json`` beside this script, ready to fill in.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "countapp" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None,
            "lazy_ngettext": (1, 2), "Nn_": (1, 2)}


NNBSP = "\u202f"   # narrow no-break space: before : ; ! ? and inside « » in French


def french_typography(text: str) -> str:
    """French punctuation for a French text: ’ for the apostrophe, « » for quotes, a narrow no-break
    space before : ; ! ? (replacing a plain or no-break space, or added where there was none)."""
    if not text:
        return text
    text = re.sub(r"(?<![\w’])'([^'\n]{1,60}?)'(?!\w)", lambda m: "«" + NNBSP + m.group(1) + NNBSP + "»", text)
    text = re.sub(r"(?<=\w)'(?=\w)", "’", text)
    text = re.sub(r"«[ \u00a0\u202f]*", "«" + NNBSP, text)
    text = re.sub(r"[ \u00a0\u202f]*»", NNBSP + "»", text)
    text = re.sub(r"[ \u00a0]+([:;!?])", NNBSP + r"\1", text)
    # No space at all: added where the sign ends a clause (not 14:30, not NUMBER:HASH).
    return re.sub(r"(?<=[\w)»%}])([:;!?])(?=\s|$)", NNBSP + r"\1", text)


def extract() -> Catalog:
    """Every translatable text in the sources named by ``babel.cfg``."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    template = Catalog(project="countapp", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def load() -> Catalog:
    with PO.open("rb") as handle:
        return read_po(handle, locale="fr")


def untranslated(catalog: Catalog) -> list:
    return [m for m in catalog if m.id and (m.fuzzy or not (all(m.string) if m.pluralizable else m.string))]


def main(sources: list[str]) -> int:
    catalog = load()
    catalog.update(extract(), no_fuzzy_matching=True)
    fills = {}
    for source in sources:
        fills.update(json.loads(Path(source).read_text(encoding="utf-8")))
    for message in catalog:
        key = message.id[0] if message.pluralizable else message.id
        if key in fills:
            message.string = tuple(fills[key]) if message.pluralizable else fills[key]
            message.flags.discard("fuzzy")
        if message.id and message.string:
            message.string = (tuple(french_typography(text) for text in message.string) if message.pluralizable
                              else french_typography(message.string))
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, ignore_obsolete=True)
    missing = untranslated(catalog)
    out = Path(__file__).with_name("untranslated.json")
    if missing:
        out.write_text(json.dumps({(m.id[0] if m.pluralizable else m.id): ["", ""] if m.pluralizable else ""
                                   for m in missing}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(catalog)} messages, {len(missing)} untranslated" + (f" (listed in {out})" if missing else ""))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
