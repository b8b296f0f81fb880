"""The written count instructions: sections, placeholders and what is still missing."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from instructions import (SECTION_KEYS, Auditor, Holding, InstructionsData, Place, Team,
                          default_text, missing_items, placeholders, render_missing,
                          section_text, section_title)
from instructions.missing import _FR
from instructions.sections import count_window, fill
from tickets.errors import CountappError

NBSP = "\u00a0"
NNBSP = "\u202f"


def make_data(lang: str = "fr", **changes) -> InstructionsData:
    """A complete campaign: nothing is missing until a test takes something away."""
    data = InstructionsData(
        campaign_code="FY2025", fiscal_year=2025, company_name="Lœvenbruck SA", language=lang,
        person_in_charge="Claire Dubœuf", person_in_charge_title="DAF",
        committee=["Claire Dubœuf", "Marc Olivier"], centraliser="Sophie Lambert",
        count_date=date(2025, 12, 27), closing_date=date(2025, 12, 31),
        freeze_from=datetime(2025, 12, 26, 18), freeze_to=datetime(2025, 12, 29, 8),
        places=[Place("Lyon", "A", "A-01-01"), Place("Lyon", "A", "A-01-02"), Place("Lyon", "B", "B-01")],
        extra_places=[Place("Lyon", "B", "Quai de réception")],
        categories=["raw_materials", "37"],
        teams=[Team(1, 1, "Paul Martin", ["Léa"], ["A"], datetime(2025, 12, 27, 8), datetime(2025, 12, 27, 12)),
               Team(2, 2, "Nina Roux", ["Tom"], ["A"], datetime(2025, 12, 27, 13), datetime(2025, 12, 27, 17)),
               Team(3, 1, "Ali Benali", [], ["B"], datetime(2025, 12, 27, 8), datetime(2025, 12, 27, 12)),
               Team(4, 2, "Eva Klein", [], ["B"], datetime(2025, 12, 27, 13), datetime(2025, 12, 27, 17))],
        auditors=[Auditor("statutory_auditor", "Jean Commissaire", "Cabinet Audit")],
        third_party_goods=[Holding("Client Durand", 3)],
        goods_elsewhere=[Holding("Entrepôt Nord", 5)],
        tolerances={"between_counts": {"qty": 2, "pct": 5}, "vs_book": {"value": "150"},
                    "category": {"goods_for_resale": {"vs_book": {"value": 100}}}},
        depreciation={"damaged": 50, "obsolete": 100, "expired": 100, "slow_moving": 20,
                      "slow_moving_days": 180, "market_price": True},
        valuation="wac", last_receipt_document="BR-1187", last_shipment_document="BL-2210",
        printed_on=date(2025, 12, 1))
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def keys(data: InstructionsData) -> list[str]:
    return [m.key for m in missing_items(data)]


# --- sections -------------------------------------------------------------------------

def test_sections_come_in_the_documented_order():
    assert SECTION_KEYS == (
        "person_in_charge", "dates_times", "places", "scope", "teams", "auditors", "tidying",
        "freeze", "third_party_goods", "goods_elsewhere", "tickets", "physical_state",
        "double_count", "third_count", "cutoff", "centralisation", "reconciliation",
        "valuation", "depreciation", "annual_report")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_section_has_a_title_and_a_default_text_in_both_languages(lang):
    for key in SECTION_KEYS:
        assert section_title(key, lang).strip()
        assert len(default_text(key, lang)) > 200


def test_french_and_english_texts_differ():
    for key in SECTION_KEYS:
        assert default_text(key, "fr") != default_text(key, "en")
        assert section_title(key, "fr") != section_title(key, "en")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_default_texts_only_name_known_placeholders(lang):
    data = make_data(lang)
    for key in SECTION_KEYS:
        text = section_text(data, key)
        assert not re.search(r"\{[a-z_]+\}", text), (key, text)
        assert "[à préciser]" not in text and "[to be set]" not in text, key


def test_unset_values_show_as_to_be_set():
    data = make_data("fr", last_receipt_document=None, centraliser=None)
    assert "[à préciser]" in section_text(data, "cutoff")
    assert "[to be set]" in section_text(make_data("en", centraliser=None), "centralisation")


def test_override_replaces_the_default_and_is_filled():
    data = make_data("en", overrides={"tidying": "Tidy zone by zone before {count_date}."})
    assert section_text(data, "tidying") == "Tidy zone by zone before Saturday 27 December 2025."


def test_blank_override_falls_back_to_the_default():
    data = make_data("en", overrides={"tidying": "   "})
    assert section_text(data, "tidying") == default_text("tidying", "en")


def test_unknown_placeholders_and_stray_braces_stay_visible():
    data = make_data("en", overrides={"freeze": "Ask {nobody} about {0} and {company.__class__} {"})
    assert section_text(data, "freeze") == "Ask {nobody} about {0} and {company.__class__} {"
    assert fill("{a}{b}", {"a": "1"}) == "1{b}"


def test_tolerances_are_written_into_the_count_sections():
    fr = section_text(make_data("fr"), "double_count")
    assert f"un écart de plus de 2 unités ou de plus de 5{NBSP}%" in fr
    third = section_text(make_data("en"), "third_count")
    assert "a difference of more than 2 units or more than 5%" in third
    assert "more than €150.00 in value" in third


def test_no_tolerance_set_means_any_difference_is_significant():
    data = make_data("fr", tolerances={"between_counts": {"qty": 0, "pct": None}})
    assert "tout écart, même d’une seule unité" in section_text(data, "double_count")


def test_valuation_method_and_depreciation_rates_are_named():
    en = make_data("en", valuation="fifo")
    assert "first in, first out (FIFO)" in section_text(en, "valuation")
    dep = section_text(make_data("fr"), "depreciation")
    assert f"abîmé 50{NBSP}%" in dep and "180 jours" in dep and "prix du marché" in dep


def test_cutoff_names_the_last_documents_and_the_dates():
    text = section_text(make_data("fr"), "cutoff")
    assert "BR-1187" in text and "BL-2210" in text
    assert "samedi 27 décembre 2025" in text and "mercredi 31 décembre 2025" in text


def test_french_text_uses_non_breaking_spaces_and_first_of_month():
    data = make_data("fr", count_date=date(2025, 12, 1), teams=[])
    assert "lundi 1er décembre 2025" in section_text(data, "dates_times")
    tickets = section_text(data, "tickets")
    assert f"«{NNBSP}Ticket n° 000123/2025{NNBSP}»" in tickets
    assert f"détachables{NNBSP}:" in tickets


def test_count_period_comes_from_the_teams_when_not_set():
    data = make_data("en")
    assert count_window(data) == (datetime(2025, 12, 27, 8), datetime(2025, 12, 27, 17))
    assert placeholders(data)["count_period"] == "on Saturday 27 December 2025, from 08:00 to 17:00"
    spans = make_data("fr", count_end=datetime(2025, 12, 28, 12))
    assert placeholders(spans)["count_period"] == (
        "du samedi 27 décembre 2025 à 8h00 au dimanche 28 décembre 2025 à 12h00")


def test_unsupported_language_is_refused_with_its_field():
    with pytest.raises(CountappError) as err:
        section_text(make_data("de"), "scope")
    assert err.value.field == "language"


# --- what is still missing -----------------------------------------------------------

def test_a_complete_campaign_misses_nothing():
    assert missing_items(make_data()) == []


def test_an_empty_campaign_lists_every_gap():
    empty = InstructionsData(campaign_code="FY2025", fiscal_year=2025, company_name="X")
    assert keys(empty) == ["no_person_in_charge", "no_count_date", "no_closing_date",
                           "no_freeze_period", "no_places", "no_categories", "no_auditor",
                           "no_centraliser", "no_last_receipt", "no_last_shipment"]


def test_a_zone_without_a_second_round_team_is_missing():
    data = make_data(teams=[t for t in make_data().teams if t.number != 4])
    items = missing_items(data)
    assert [(m.key, m.params) for m in items] == [("zone_without_team", {"zone": "B", "round": 2})]


def test_a_zone_added_by_hand_needs_teams_too():
    data = make_data(extra_places=[Place("Lyon", "Quai", "Quai 1")])
    assert [(m.key, m.params["round"]) for m in missing_items(data)] == [
        ("zone_without_team", 1), ("zone_without_team", 2)]


def test_team_without_leader_zone_or_times_is_missing():
    data = make_data()
    data.teams.append(Team(5, 1, leader=" ", zones=[]))
    assert keys(data) == ["team_without_leader", "team_without_zone", "team_without_times"]


def test_team_zone_with_no_listed_place_is_reported():
    data = make_data()
    data.teams[0].zones.append("Z9")
    assert [(m.key, m.params) for m in missing_items(data)] == [
        ("team_unknown_zone", {"team": 1, "zone": "Z9"})]


def test_team_counting_outside_the_freeze_is_reported():
    data = make_data()
    data.teams[1].end = datetime(2025, 12, 29, 9)
    assert keys(data) == ["team_outside_freeze"]


def test_team_in_a_third_round_is_reported():
    data = make_data()
    data.teams[0].round = 3
    assert "team_bad_round" in keys(data)


def test_locations_without_a_zone_are_reported_with_examples():
    data = make_data(extra_places=[Place("Lyon", "", "Cour"), Place("Paris", "", "Cave")])
    (item,) = missing_items(data)
    assert item.key == "places_without_zone"
    assert item.params == {"num": 2, "examples": "Lyon / Cour, Paris / Cave"}


def test_freeze_that_ends_before_it_starts():
    data = make_data(freeze_to=datetime(2025, 12, 26, 8))
    assert keys(data)[0] == "freeze_reversed"


def test_a_count_after_closing_is_no_gap():
    # Issue 18: counted in January, the count rolls back to the closing date.
    assert "count_after_closing" not in keys(make_data(count_date=date(2026, 1, 3)))


def test_every_gap_has_a_french_sentence():
    data = make_data(freeze_to=datetime(2025, 12, 26, 8), count_date=date(2026, 1, 3),
                     extra_places=[Place("Lyon", "", "Cour"), Place("Lyon", "Q", "Quai")])
    data.teams.append(Team(5, 3, zones=["Z9"]))
    data.teams.append(Team(7, 2, "Max"))
    data.teams.append(Team(6, 1, "Léo", zones=["A"], start=datetime(2025, 12, 20, 8), end=datetime(2025, 12, 20, 9)))
    data.freeze_to = datetime(2025, 12, 29, 8)
    empty = InstructionsData(campaign_code="C", fiscal_year=2025, company_name="X")
    items = missing_items(data) + missing_items(empty) + missing_items(
        make_data(freeze_to=datetime(2025, 12, 26, 8)))
    assert {m.key for m in items} == set(_FR)  # every kind of gap is exercised here
    for m in items:
        fr, en = render_missing(m, "fr"), render_missing(m, "en")
        assert fr != en and "%(" not in fr and "%(" not in en, m.key
