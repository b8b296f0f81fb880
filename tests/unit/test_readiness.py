"""The pre-flight rule before counting starts: every missing item named, with counts and examples."""
from __future__ import annotations

from countapp import campaign_settings
from countapp.services.readiness import Facts, missing

import pytest
from tickets.errors import CountappError


def _ready() -> Facts:
    return Facts(book_lines=10, lines_without_ticket=0, pre_referenced=10,
                 teams=[(1, 1, True), (2, 2, True)], not_issued={1: (0, []), 2: (0, [])}, instructions_version=1)


def _keys(facts: Facts) -> list[str]:
    return [m.key for m in missing(facts)]


def test_a_ready_campaign_misses_nothing():
    assert missing(_ready()) == []


def test_an_empty_campaign_misses_every_step():
    assert _keys(Facts()) == ["book_stock", "tickets", "team_round1", "team_round2", "instructions"]


def test_tickets_not_issued_to_round_two_are_counted_and_named():
    facts = _ready()
    facts.not_issued[2] = (12, ["000001/2025", "000002/2025", "000003/2025", "000004/2025", "000005/2025"])
    [item] = missing(facts)
    assert item.key == "issued_round2"
    assert item.render() == ("12 tickets are not issued to a round 2 team "
                             "(000001/2025, 000002/2025, 000003/2025, 000004/2025, 000005/2025 …).")


def test_all_examples_shown_means_no_ellipsis():
    facts = _ready()
    facts.not_issued[1] = (2, ["000007/2025", "000009/2025"])
    assert missing(facts)[0].render().endswith("(000007/2025, 000009/2025).")


def test_a_round_without_team_and_a_team_whose_leader_cannot_log_in():
    facts = _ready()
    facts.teams = [(1, 1, True), (3, 1, False)]
    assert _keys(facts) == ["team_round2", "leaders"]
    assert "3" in missing(facts)[1].render()


def test_book_lines_imported_after_generation_need_tickets_again():
    facts = _ready()
    facts.lines_without_ticket = 4
    [item] = missing(facts)
    assert item.key == "tickets" and item.render().startswith("4 book lines have no ticket yet")


def test_instructions_not_issued():
    facts = _ready()
    facts.instructions_version = None
    assert _keys(facts) == ["instructions"]


def test_french_rendering_goes_through_gettext():
    item = missing(Facts(book_lines=1, pre_referenced=0))[0]
    assert item.render(lambda text: "Aucun ticket généré." if text == "No ticket has been generated." else text) \
        == "Aucun ticket généré."


# --- [company] settings ------------------------------------------------------------------------

def test_company_table_keeps_the_name_column_and_settings():
    columns, settings = campaign_settings.merge(
        {"company": "Old"}, campaign_settings.defaults(),
        {"company": {"name": "Ateliers SAS", "siren": "123456789", "time_zone": "America/Martinique"}})
    assert columns["company"] == "Ateliers SAS"
    assert settings["company"] == {"siren": "123456789", "time_zone": "America/Martinique"}
    text = campaign_settings.to_toml(columns, settings)
    again = campaign_settings.merge({}, campaign_settings.defaults(), campaign_settings.parse_toml(text))
    assert again == (columns, settings)


def test_old_top_level_company_string_is_still_accepted():
    columns, settings = campaign_settings.merge({}, campaign_settings.defaults(), {"company": "Ateliers"})
    assert columns["company"] == "Ateliers" and campaign_settings.time_zone(settings) == "Europe/Paris"


def test_time_zone_defaults_to_paris_for_old_settings():
    assert campaign_settings.time_zone({"tolerance": {}}) == "Europe/Paris"
    assert 'time_zone = "Europe/Paris"' in campaign_settings.to_toml({"company": "X"}, {"tolerance": {}})


@pytest.mark.parametrize("given, field", [
    ({"siren": "12345678"}, "company.siren"), ({"siren": 123456789}, "company.siren"),
    ({"siren": "12345678A"}, "company.siren"), ({"time_zone": "Europe/Lutece"}, "company.time_zone"),
    ({"time_zone": ""}, "company.time_zone"), ({"vat": "FR00"}, "company.vat")])
def test_bad_company_settings_are_refused_naming_the_key(given, field):
    with pytest.raises(CountappError) as caught:
        campaign_settings.merge({}, campaign_settings.defaults(), {"company": given})
    assert caught.value.field == field
