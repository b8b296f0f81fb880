"""Centralisation: ticket states, third counts, recount sheets, decisions.

Managers and centralisers settle; auditors read everything and change nothing; team leaders
reach only their own recount sheets, and what they see there is blind (DOMAIN.md, Rules): the
goods and their own third count, never count 1, count 2, the book nor the reasons.
"""
from __future__ import annotations

import io
import re
import tempfile
import uuid
from datetime import date
from pathlib import Path

from babel.dates import format_date

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tickets.errors import CountappError

from ...extensions import db
from ...models import Role
from ...services import campaigns as campaign_service
from ...services import centralisation as service
from ...services import count_import
from ...services import recounts
from ..errors import error_message
from ..args import address_int
from ..security import requires
from . import labels
from .forms import CountsImportForm, DecisionForm, SheetForm

bp = Blueprint("centralisation", __name__)
READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)
SETTLERS = (Role.MANAGER, Role.CENTRALISER)
SHEET_READERS = (*READERS, Role.LEADER)
ENTERERS = (Role.LEADER, *SETTLERS)
PHYSICAL_STATES = ("good", "damaged", "obsolete", "expired")
IMPORT_ERRORS = 200


@bp.context_processor
def helpers():
    return {"ticket_state_label": lambda code: labels.lookup(labels.STATES, code),
            "source_label": lambda code: labels.lookup(labels.SOURCES, code),
            "tolerance_text": tolerance_text,
            "reason_label": lambda code: labels.lookup(labels.REASONS, code),
            "decision_label": lambda code: labels.lookup(labels.DECISIONS, code),
            "entry_label": lambda code: labels.lookup(labels.ENTRY_STATUSES, code),
            "STATE_CODES": service.STATES, "REASON_CODES": service.REASONS,
            "CATEGORY_CODES": service.CATEGORIES}


def tolerance_text(tolerance) -> str:
    """Thresholds as a reader says them: "more than 2 pc, 5 %, 100.00 of value", or exact match."""
    from ..formatting import money, qty

    parts = []
    if tolerance.qty is not None:
        parts.append(_("more than %(qty)s in quantity", qty=qty(tolerance.qty)))
    if tolerance.pct is not None:
        parts.append(_("more than %(pct)s %%", pct=qty(tolerance.pct)))
    if tolerance.value is not None:
        parts.append(_("more than %(value)s in value", value=money(tolerance.value)))
    return _(" or ").join(parts) if parts else _("any difference")


def _form_errors(form) -> None:
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for error in errors:
            flash(f"{label}: {error}", "error")


# --- every ticket by state ----------------------------------------------------------------------

@bp.get("/<code>/centralisation")
@requires(*READERS)
def index(code):
    campaign = campaign_service.get(code)
    filters = service.Filters.from_args(request.args)
    summary = service.summary(campaign, filters)
    filters.state = filters.state or service.opening_state(request.args, summary)
    after = request.args.get("after", type=address_int)
    before = request.args.get("before", type=address_int)
    found = service.page(campaign, filters, after=after, before=before)
    return render_template(
        "centralisation/index.html", campaign=campaign, filters=filters, page=found,
        summary=summary, zones=service.zones(campaign), teams=service.teams(campaign),
        can_settle=current_user.role in SETTLERS, upload=CountsImportForm(prefix="counts"))


@bp.post("/<code>/centralisation/import")
@requires(*SETTLERS)
def import_counts(code):
    """Counts transcribed from the paper parts: checked whole, every error listed, nothing written on error."""
    campaign = campaign_service.get(code)
    form = CountsImportForm(prefix="counts")
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for(".index", code=code))
    upload = form.file.data
    filename = Path(upload.filename or "counts.csv").name[-120:] or "counts.csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / re.sub(r"[^A-Za-z0-9._-]+", "_", filename)
        upload.save(str(path))
        try:
            result = count_import.import_counts(code, path, filename=filename, by=current_user)
        except count_import.ImportRefused as refused:
            db.session.rollback()
            errors = [{"line": e.line, "column": e.column, "text": e.text(_)} for e in refused.errors[:IMPORT_ERRORS]]
            return render_template("centralisation/import_errors.html", campaign=campaign, filename=filename,
                                   errors=errors, total=len(refused.errors)), 400
    rounds = result["rounds"]
    flash(ngettext("%(file)s: %(num)d count imported (round 1: %(r1)s, round 2: %(r2)s, round 3: %(r3)s).",
                   "%(file)s: %(num)d counts imported (round 1: %(r1)s, round 2: %(r2)s, round 3: %(r3)s).",
                   sum(rounds.values()), file=filename, r1=rounds[1], r2=rounds[2], r3=rounds[3])
          + " " + ngettext("%(num)d ticket now needs a third count.", "%(num)d tickets now need a third count.",
                           result["recount"]), "success")
    return redirect(url_for(".index", code=code))


@bp.get("/<code>/centralisation/tickets/<int:number>")
@requires(*READERS)
def ticket(code, number):
    campaign = campaign_service.get(code)
    file = service.ticket_file(campaign, number)
    form = DecisionForm()
    can_decide = (current_user.role in SETTLERS and file.row["state"] == "recount" and not file.history[3])
    if can_decide:
        form.kind.choices = _decision_choices(file.row)
    return render_template("centralisation/ticket.html", campaign=campaign, f=file, r=file.row, form=form,
                           can_decide=can_decide)


def _decision_choices(row: dict) -> list[tuple[str, str]]:
    from ..formatting import qty

    unit = f" {row['unit']}" if row["unit"] else ""
    choices = [("", "—")]
    for kind, value in (("accept_count_1", row["count1"]), ("accept_count_2", row["count2"]),
                        ("accept_book", row["book_qty"])):
        if value is not None:
            choices.append((kind, f"{labels.DECISIONS[kind]}: {qty(value)}{unit}"))
    return choices


@bp.post("/<code>/centralisation/tickets/<int:number>/decide")
@requires(*SETTLERS)
def decide(code, number):
    form = DecisionForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for(".ticket", code=code, number=number))
    recounts.decide(code, number, kind=form.kind.data, reason=form.reason.data, by=current_user)
    campaign = campaign_service.get(code)
    flash(_("Ticket %(ticket)s settled without recount: %(decision)s. The reason is kept in the log.",
            ticket=service.label(campaign, number), decision=labels.lookup(labels.DECISIONS, form.kind.data)),
          "success")
    return redirect(url_for(".ticket", code=code, number=number))


# --- recount sheets -----------------------------------------------------------------------------

@bp.get("/<code>/recounts")
@requires(*SHEET_READERS)
def sheets(code):
    campaign = campaign_service.get(code)
    leader = current_user.role == Role.LEADER
    found = recounts.sheets(campaign, user=current_user)
    waiting = None if leader else service.summary(campaign)["recount"]
    return render_template("centralisation/sheets.html", campaign=campaign, sheets=found, leader=leader,
                           waiting=waiting, can_settle=current_user.role in SETTLERS)


def _sheet_form(campaign, people) -> SheetForm:
    form = SheetForm()
    form.leader_round1.choices = [("", "—")] + [
        (u.login, _("%(name)s (team %(teams)s)", name=u.display_name, teams=", ".join(map(str, teams))))
        for u, teams in people.round1]
    form.leader_round2.choices = [("", "—")] + [
        (u.login, _("%(name)s (team %(teams)s)", name=u.display_name, teams=", ".join(map(str, teams))))
        for u, teams in people.round2]
    form.supervisor.choices = [("", "—")] + [(u.login, f"{u.display_name} · {u.role.value}")
                                             for u in people.supervisors]
    return form


@bp.get("/<code>/recounts/new")
@requires(*SETTLERS)
def new_sheet(code):
    campaign = campaign_service.get(code)
    filters = service.Filters.from_args(request.args)
    filters.state = ""
    rows, total = recounts.candidates(campaign, filters)
    form = _sheet_form(campaign, recounts.people(campaign))
    first, second = recounts.suggested_leaders(campaign, rows)
    form.leader_round1.data = form.leader_round1.data or first
    form.leader_round2.data = form.leader_round2.data or second
    form.supervisor.data = form.supervisor.data or (current_user.login if current_user.role in SETTLERS else None)
    return render_template("centralisation/new_sheet.html", campaign=campaign, filters=filters, rows=rows,
                           total=total, form=form, zones=service.zones(campaign), teams=service.teams(campaign))


@bp.post("/<code>/recounts")
@requires(*SETTLERS)
def create_sheet(code):
    campaign = campaign_service.get(code)
    form = _sheet_form(campaign, recounts.people(campaign))
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(request.referrer or url_for(".new_sheet", code=code))
    sheet = recounts.create_sheet(code, tickets=request.form.getlist("tickets"), leader1=form.leader_round1.data,
                                  leader2=form.leader_round2.data, supervisor=form.supervisor.data, by=current_user)
    flash(_("Recount sheet %(number)s made: print it for the two leaders, then enter their third counts.",
            number=sheet.number), "success")
    return redirect(url_for(".sheet", code=code, number=sheet.number))


@bp.get("/<code>/recounts/<int:number>")
@requires(*READERS)
def sheet(code, number):
    campaign = campaign_service.get(code)
    found = recounts.get_sheet(campaign, number)
    return render_template("centralisation/sheet.html", campaign=campaign, sheet=found,
                           rows=recounts.sheet_rows(campaign, found), can_settle=current_user.role in SETTLERS)


def _readable_sheet(code, number):
    """The sheet, if the user may read it: staff any, a leader only their own."""
    campaign = campaign_service.get(code)
    found = recounts.get_sheet(campaign, number)
    if current_user.role == Role.LEADER:
        recounts.check_may_enter(found, current_user)
    return campaign, found


@bp.get("/<code>/recounts/<int:number>.pdf")
@requires(*SHEET_READERS)
def sheet_pdf(code, number):
    campaign, found = _readable_sheet(code, number)
    language = request.args.get("language") if request.args.get("language") in ("fr", "en") else None
    language = language or campaign.language or "fr"
    out = io.BytesIO()
    recounts.write_sheet_pdf(campaign, found, out, language=language,
                             date_text=format_date(date.today(), "short", locale=language))
    out.seek(0)
    return send_file(out, mimetype="application/pdf", as_attachment=False,
                     download_name=f"recount-{campaign.code}-{found.number}.pdf")


# --- the leaders' blind entry of third counts ---------------------------------------------------

def _entry_page(campaign, found, *, errors=None, typed=None, focus=None, status=200):
    lines = recounts.blind_lines(campaign, found)
    if focus is None:
        focus = next((line["sequence"] for line in lines if line["status"] == "to_count"), None)
    left = sum(1 for line in lines if line["status"] == "to_count")
    # One id per form shown: a double tap or a resent form returns the stored count instead of a refusal.
    client_ids = {line["sequence"]: f"rc-{uuid.uuid4().hex}" for line in lines if line["status"] == "to_count"}
    return render_template("centralisation/enter.html", campaign=campaign, sheet=found, lines=lines, left=left,
                           errors=errors or {}, typed=typed or {}, focus=focus, states=PHYSICAL_STATES,
                           client_ids=client_ids), status


@bp.get("/<code>/recounts/<int:number>/enter")
@requires(*ENTERERS)
def enter(code, number):
    campaign, found = _readable_sheet(code, number)
    recounts.check_may_enter(found, current_user)
    return _entry_page(campaign, found, focus=request.args.get("next", type=address_int))


@bp.post("/<code>/recounts/<int:number>/enter")
@requires(*ENTERERS)
def enter_post(code, number):
    campaign, found = _readable_sheet(code, number)
    recounts.check_may_enter(found, current_user)
    ticket_text = (request.form.get("ticket") or "").strip()
    quantity = request.form.get("quantity", "")
    try:
        result = recounts.enter_third_count(code, number, ticket_text, quantity=quantity,
                                            state=request.form.get("state") or "good",
                                            client_id=request.form.get("client_id") or None, by=current_user)
    except CountappError as error:
        db.session.rollback()
        campaign, found = _readable_sheet(code, number)
        head = ticket_text.split("/")[0]
        key = int(head) if head.isdigit() and len(head) < 10 else None
        open_cards = {line["sequence"] for line in recounts.blind_lines(campaign, found) if line["status"] == "to_count"}
        if key not in open_cards:
            flash(error_message(error), "error")
            key = None
        return _entry_page(campaign, found, errors={key: error_message(error)} if key else {},
                           typed={key: quantity} if key else {}, focus=key, status=400)
    flash(_("Ticket %(ticket)s: third count of %(quantity)s recorded. It is final.",
            ticket=service.label(campaign, result.ticket.sequence), quantity=_quantity_text(result.count)), "success")
    lines = recounts.blind_lines(campaign, found)
    after = [line["sequence"] for line in lines if line["status"] == "to_count"]
    following = next((s for s in after if s > result.ticket.sequence), after[0] if after else None)
    target = url_for(".enter", code=code, number=number, next=following) if following else \
        url_for(".enter", code=code, number=number)
    return redirect(target + (f"#t{following}" if following else ""), 303)


def _quantity_text(count) -> str:
    from ..formatting import qty

    return qty(count.quantity)
