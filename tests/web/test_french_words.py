"""French that reads as French: counts agree with their nouns, the audit log speaks in sentences,
error messages from the domain take their plural form, commands print plain lines in a log."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest

from countapp.services import closing as closing_service
from countapp.web.audit.sentences import event_sentence
from tickets.errors import CountappError, Nn_, translate

from .test_audit_pages import _auditor, audited  # noqa: F401 - the audited campaign fixture

NNBSP = "\u202f"
HEADER = "reference,designation,unit,category,location,book_qty,unit_cost,lot,owner,last_movement_date\n"


def _stock(lines: list[str]) -> bytes:
    return (HEADER + "".join(line + "\n" for line in lines)).encode()


def _good(n: int) -> list[str]:
    return [f"RM-{i},Steel sheet,kg,raw_materials,A-{i:02d},10,2.5,,own,2025-10-01" for i in range(1, n + 1)]


def _preview(client, data: bytes) -> str:
    response = client.post("/campaigns/FY2025/imports", data={"kind": "stock", "file": (io.BytesIO(data), "s.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    return _flat(response.get_data(as_text=True))


def _flat(html: str) -> str:
    """Runs of ASCII white space as one space (a narrow no-break space is kept: it is what is tested)."""
    return re.sub(r"[ \t\r\n]+", " ", html)


@pytest.fixture
def french_manager(client_as, make_campaign):
    make_campaign("FY2025", year=2025, count_date=date(2025, 12, 31), closing_date=date(2025, 12, 31),
                  language="fr")
    return client_as("manager", language="fr")


def test_one_line_checked_is_singular_and_seven_errors_plural(french_manager):
    assert "1 ligne vérifiée, aucune erreur." in _preview(french_manager, _stock(_good(1)))
    assert "6 lignes vérifiées, aucune erreur." in _preview(french_manager, _stock(_good(6)))
    bad = [line.replace(",10,", ",dix,") for line in _good(7)]
    page = _preview(french_manager, _stock(bad))
    assert f"7 erreurs{NNBSP}: rien ne sera importé" in page and "erreur(s)" not in page


def test_a_domain_error_takes_the_form_its_number_needs():
    message = Nn_("%(num)s ticket is still open.", "%(num)s tickets are still open.")
    assert CountappError(message, num=1).render() == "1 ticket is still open."
    assert str(CountappError(message, num=3)) == "3 tickets are still open."
    french = {("%(num)s ticket is still open.", 0): "%(num)s ticket est encore ouvert.",
              ("%(num)s ticket is still open.", 1): "%(num)s tickets sont encore ouverts."}

    def gettext(text):
        return text
    gettext.ngettext = lambda one, many, n: french[(one, 1 if n > 1 else 0)]
    assert translate(message, {"num": 0}, gettext) == "0 ticket est encore ouvert."
    assert translate(message, {"num": 2}, gettext) == "2 tickets sont encore ouverts."


def test_closing_refused_in_french_names_one_number_in_the_singular(app):
    class Found:
        unaccounted_count, unaccounted = 1, ["000007/2025"]
        pending_count, pending = 2, ["000003/2025", "000005/2025"]

    class Campaign:
        code = "FY2025"

    from flask_babel import force_locale

    from countapp.i18n import message_gettext

    with app.test_request_context(), force_locale("fr"):
        text = closing_service.CloseRefused(Campaign(), Found()).render(message_gettext)
    assert "1 numéro de ticket remis n’est pas justifié" in text
    assert "2 3es comptages sont en attente" in text and "(s)" not in text


def test_the_audit_log_reads_as_sentences_and_keeps_the_codes(app, login_as, audited):  # noqa: F811
    client = _auditor(app, login_as, audited)
    page = client.get("/campaigns/FY2025/audit/log?action=count.", headers={"Accept-Language": "fr"})
    text = _flat(page.get_data(as_text=True))
    assert f"1er comptage enregistré{NNBSP}: 1{NNBSP}200" in text
    assert f"2e comptage enregistré{NNBSP}: 40" in text
    assert "count.add" in text          # the code stays, for auditors
    assert "quantity 1200" not in text and "round 1" not in text


def test_every_known_action_has_its_own_sentence(app):
    class Event:
        def __init__(self, action, after=None, entity_id="7"):
            self.action, self.after, self.before, self.entity_id = action, after or {}, {}, entity_id

    with app.test_request_context(headers={"Accept-Language": "fr"}):
        added = event_sentence(Event("count.add", {"round": 2, "quantity": "136.0000", "state": "damaged",
                                                   "status": "counted_2"}))
        issued = event_sentence(Event("tickets.issue", {"round": 1, "first": "000001/2025", "last": "000001/2025",
                                                        "tickets": 1}, entity_id=3))
        unknown = event_sentence(Event("something.new"))
        joined = event_sentence(Event("audit.join", {"chains": {"user:1": {}, "user:2": {}}, "reason": "close"}))
        cycle = {action: event_sentence(Event(action, after, entity_id="CC2026")) for action, after in (
            ("cycle.create", {"fiscal_year": 2026}), ("cycle.configure", {}), ("cycle.import.stock", {"file": "s.csv"}),
            ("cycle.import.movements", {"file": "m.csv"}), ("cycle.import.counts", {"file": "c.csv"}),
            ("cycle.classify", {}), ("cycle.set_class", {"abc_class": "A"}), ("cycle.plan", {}),
            ("cycle.replan", {"moved": 3}), ("cycle.count", {"round": 2, "quantity": "12.5000"}),
            ("cycle.accept", {"cause": "breakage", "difference": "-2"}), ("cycle.sample", {"size": 10}))}
    assert joined == "Comptages de 2 compteurs rattachés à la chaîne de la campagne."
    assert not [text for text in cycle.values() if text.startswith("Événement")], cycle
    assert cycle["cycle.replan"] == "3 comptages tournants manqués replanifiés."
    assert cycle["cycle.count"] == f"Inventaire tournant, 2e comptage{NNBSP}: 12,5."
    assert added.startswith(f"2e comptage enregistré{NNBSP}: 136 (") and "136.0000" not in added
    assert issued == "1 ticket (000001/2025 à 000001/2025) remis à l’équipe 3 pour le 1er comptage."
    assert unknown == "Événement something.new."


def test_a_command_without_a_terminal_prints_one_line_per_step():
    from countapp.cli_output import Progress, counted

    out = io.StringIO()   # not a terminal: no bar, no carriage return
    with Progress(1000, "printing", ("ticket", "tickets"), file=out, lines=4) as bar:
        for done in range(0, 1001, 50):
            bar.update(done)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[-1] == "printing: 1,000/1,000 tickets"
    assert 4 <= len(lines) <= 5 and all(re.fullmatch(r"printing: [\d,]+/1,000 tickets", line) for line in lines)
    assert (counted(1, "ticket"), counted(0, "ticket"), counted(2, "point")) == ("1 ticket", "0 tickets", "2 points")


def test_printing_tickets_from_a_script_writes_plain_lines(app, runner, make_campaign, tmp_path):
    from countapp.services import tickets

    make_campaign("FY2025", year=2025, count_date=date(2025, 12, 31), closing_date=date(2025, 12, 31))
    tickets.generate("FY2025", blank=3)
    result = runner.invoke(args=["tickets", "print", "FY2025", "--out", str(tmp_path / "t.pdf")])
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output and "printing: 3/3 tickets" in result.output
    assert "3 tickets (000001/2025 to 000003/2025) printed on 1 page," in result.output


def test_a_refused_import_is_french_down_to_its_first_error(app):
    from flask_babel import force_locale

    from countapp.i18n import message_gettext
    from countapp.imports_check import FileCheck, FileError, ImportRefused

    check = FileCheck("stock.csv", errors=[FileError("stock.csv", 7, "book_qty", "%(value)s is not a number.",
                                                     {"value": "x"})], error_count=1)
    refused = ImportRefused(check)
    assert refused.render() == "stock.csv: 1 error, nothing was imported: stock.csv, line 7, book_qty: x is not a " \
                               "number."
    with app.test_request_context(), force_locale("fr"):
        text = refused.render(message_gettext)
    assert text == f"stock.csv{NNBSP}: 1 erreur, rien n’a été importé{NNBSP}: stock.csv, ligne 7, book_qty{NNBSP}: " \
                   f"x n’est pas un nombre."


def test_a_status_or_role_named_in_a_message_is_translated_with_it(app):
    from flask_babel import force_locale

    from countapp.i18n import message_gettext
    from tickets import lifecycle

    with pytest.raises(CountappError) as refused:
        lifecycle.transition("voided", lifecycle.ISSUE, ticket="000004/2025")
    assert refused.value.render() == "Ticket 000004/2025 is voided: this step is not allowed now."
    with app.test_request_context(), force_locale("fr"):
        assert "au statut annulé" in refused.value.render(message_gettext)


def test_progress_figures_agree_with_their_counts_in_french(app):
    from flask import render_template_string

    with app.test_request_context(headers={"Accept-Language": "fr"}):
        text = render_template_string('{{ ngettext("%(num)d left", "%(num)d left", 44) }}, '
                                      '{{ ngettext("%(num)d voided", "%(num)d voided", 1) }}')
        one = render_template_string('{{ ngettext("%(num)d ticket needs a third count.", '
                                     '"%(num)d tickets need a third count.", 1) }}')
    assert text == "44 restants, 1 annulé"
    assert one == "1 ticket demande un 3e comptage."
