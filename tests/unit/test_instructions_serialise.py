"""Issued versions keep their data as JSON: the round trip loses nothing, and only the content counts
when comparing the draft with the last version."""
from __future__ import annotations

import io
import json
from datetime import date

import pypdf

from instructions import Holding, content, from_dict, to_dict
from instructions.pdf import write_instructions_pdf

from .test_instructions import make_data


def test_json_round_trip_gives_back_the_same_data():
    data = make_data("en", issued_on=date(2025, 12, 15), version=3, overrides={"tidying": "Sweep {company}."})
    again = from_dict(json.loads(json.dumps(to_dict(data))))
    assert again == data
    assert to_dict(again) == to_dict(data)


def test_the_same_content_printed_or_issued_another_day_compares_equal():
    draft = make_data("fr", printed_on=date(2025, 12, 1), version=2)
    issued = make_data("fr", printed_on=None, issued_on=date(2025, 12, 20), version=1)
    assert content(draft) == content(json.loads(json.dumps(to_dict(issued))))


def test_any_change_of_what_the_document_says_is_seen():
    base = content(make_data("fr"))
    for change in ({"last_receipt_document": "BR-9"}, {"freeze_to": None}, {"categories": ["raw_materials"]},
                   {"overrides": {"tidying": "Autre texte."}}, {"tolerances": {"between_counts": {"qty": 3}}},
                   {"third_party_goods": [Holding("Client Durand", 4)]}):
        assert content(make_data("fr", **change)) != base, change


def test_goods_whose_party_is_not_named_are_still_listed():
    out = io.BytesIO()
    write_instructions_pdf(make_data("en", third_party_goods=[Holding("", 2)]), out)
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(out.getvalue())).pages)
    assert "(not named in the stock file)" in text
