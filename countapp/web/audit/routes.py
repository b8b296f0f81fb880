"""The auditors' workspace. Managers and centralisers read it too; only auditors write here, and
only their own work (test counts, floor records, confirmation answers, seals of the log)."""
from __future__ import annotations

import io
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.routing import BuildError

from tickets import numbering
from tickets.control import format_spans
from tickets.errors import CountappError

from ...extensions import db
from ...i18n import message_gettext
from ...models import Role, Team
from ...services import audit_confirm, audit_export, audit_review, audit_sampling
from ...services import campaigns as campaign_service
from ..args import address_int
from ..security import requires
from . import labels
from .forms import ChosenForm, ConfirmationForm, CountForm, DrawForm, FloorForm, SealForm

bp = Blueprint("audit", __name__)
READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)
PER_PAGE = 100


def auditor_work(view):
    """Let an auditor post to this view (the central guard refuses auditors' writes everywhere else)."""
    view._countapp_auditor_may_post = True
    return view


@bp.context_processor
def _links():
    def optional_url(endpoint: str, **values) -> str | None:
        """A link to another area's page, or None when this installation has no such page."""
        try:
            return url_for(endpoint, **values)
        except BuildError:
            return None

    def ticket_no(sequence, campaign) -> str:
        return numbering.format_number(int(sequence), campaign.fiscal_year) if sequence else "—"

    return {"optional_url": optional_url, "render_break": lambda b: b.render(message_gettext),
            "ticket_no": ticket_no, "format_spans": format_spans, "direction_label": labels.direction_label,
            "stratum_label": labels.stratum_label, "method_label": labels.method_label, "note_text": labels.note_text}

def _invalid(form) -> None:
    for name, errors in form.errors.items():
        label = getattr(getattr(form, name, None), "label", None)
        flash(f"{label.text if label else name}: {' '.join(str(e) for e in errors)}", "error")


# --- overview and log -------------------------------------------------------------------------------

@bp.get("/<code>/audit")
@requires(*READERS)
def overview(code):
    campaign = campaign_service.get(code)
    report, teams = audit_review.tag_control(campaign)
    # The chain check walks the whole log: it runs on the log's own page, not on every visit here.
    return render_template("audit/overview.html", campaign=campaign, head=audit_review.head(campaign),
                           seals=_seals(campaign), report=report, teams=teams,
                           samples=audit_sampling.samples(campaign), holders=audit_confirm.holders(campaign))


@bp.get("/<code>/audit/log")
@requires(*READERS)
def log(code):
    campaign = campaign_service.get(code)
    filters = {k: request.args.get(k, "").strip()[:80] for k in ("action", "user", "text")}
    page = audit_review.log_page(campaign, page=request.args.get("page", 1, type=address_int), per_page=PER_PAGE,
                                 **filters)
    actions, users = audit_review.log_facets(campaign)
    return render_template("audit/log.html", campaign=campaign, check=audit_review.verify(campaign), page=page,
                           filters=filters, actions=actions, users=users, seal_form=SealForm(),
                           seals=_seals(campaign))


def _seals(campaign):
    from ...models.audit_work import AuditSeal

    return db.session.scalars(db.select(AuditSeal).where(AuditSeal.campaign_id == campaign.id)
                              .order_by(AuditSeal.id.desc())).all()


@bp.post("/<code>/audit/log/seal")
@auditor_work
@requires(Role.AUDITOR)
def seal(code):
    campaign = campaign_service.get(code)
    if SealForm().validate_on_submit():
        record = audit_review.seal(campaign, by=current_user)
        flash(_("Audit log sealed at event #%(seq)s.", seq=record.seq), "success")
    return redirect(url_for(".log", code=code))


# --- tag control ---------------------------------------------------------------------------------------

def _floor_form(campaign) -> FloorForm:
    form = FloorForm(prefix="floor")
    form.team.choices = [(t.number, _("Team %(n)s (round %(round)s)", n=t.number, round=t.round))
                         for t in db.session.scalars(db.select(Team).where(Team.campaign_id == campaign.id)
                                                     .order_by(Team.number))]
    return form


@bp.get("/<code>/audit/tags")
@requires(*READERS)
def tags(code):
    campaign = campaign_service.get(code)
    report, teams = audit_review.tag_control(campaign)
    return render_template("audit/tags.html", campaign=campaign, report=report, teams=teams,
                           history=audit_review.latest_floor_records(campaign), form=_floor_form(campaign),
                           can_write=current_user.role == Role.AUDITOR)


@bp.post("/<code>/audit/tags/floor")
@auditor_work
@requires(Role.AUDITOR)
def floor(code):
    campaign = campaign_service.get(code)
    form = _floor_form(campaign)
    if form.validate_on_submit():
        audit_review.record_floor(code, team=form.team.data, first=form.first.data, last=form.last.data,
                                  seen_at=form.seen_at.data, note=form.note.data or "", by=current_user)
        flash(_("Floor record of team %(n)s saved.", n=form.team.data), "success")
    else:
        _invalid(form)
    return redirect(url_for(".tags", code=code))


# --- test counts ---------------------------------------------------------------------------------------

@bp.get("/<code>/audit/samples")
@requires(*READERS)
def samples(code):
    campaign = campaign_service.get(code)
    rows = [audit_sampling.result(campaign, s) for s in audit_sampling.samples(campaign)]
    return render_template("audit/samples.html", campaign=campaign, results=rows, form=DrawForm(prefix="draw"),
                           can_write=current_user.role == Role.AUDITOR)


@bp.post("/<code>/audit/samples")
@auditor_work
@requires(Role.AUDITOR)
def draw(code):
    form = DrawForm(prefix="draw")
    if not form.validate_on_submit():
        _invalid(form)
        return redirect(url_for(".samples", code=code))
    sample = audit_sampling.draw(code, direction=form.direction.data, seed=form.seed.data,
                                 key_count=form.key_count.data or 0, key_threshold=form.key_threshold.data,
                                 random_count=form.random_count.data, note=form.note.data or "", by=current_user)
    flash(ngettext("Sample %(n)s drawn with seed %(seed)s: %(num)d line.",
                   "Sample %(n)s drawn with seed %(seed)s: %(num)d lines.", len(sample.lines), n=sample.number,
                   seed=sample.seed), "success")
    return redirect(url_for(".sample", code=code, number=sample.number))


@bp.get("/<code>/audit/samples/<int:number>")
@requires(*READERS)
def sample(code, number):
    campaign = campaign_service.get(code)
    result = audit_sampling.result(campaign, audit_sampling.get_sample(campaign, number))
    return render_template("audit/sample.html", campaign=campaign, result=result,
                           can_write=current_user.role == Role.AUDITOR)


@bp.get("/<code>/audit/samples/<int:number>/count")
@requires(Role.AUDITOR)
def count(code, number):
    """The tablet page: one card per line, what to find and where, never the teams' or the book's quantity."""
    campaign = campaign_service.get(code)
    result = audit_sampling.result(campaign, audit_sampling.get_sample(campaign, number))
    find = request.args.get("find", "").strip()[:40]
    target = None
    if find:
        target = next((r for r in result.rows if _ticket_label(campaign, find) in r.tickets or find == r.label), None)
        if target is None:
            flash(_("%(what)s is not in sample %(n)s.", what=find, n=number), "warning")
    chosen = ChosenForm(prefix="chosen")
    if find and target is None:
        chosen.ticket.data = find
    return render_template("audit/count.html", campaign=campaign, result=result, target=target,
                           form=CountForm(prefix="count"), chosen=chosen)


def _ticket_label(campaign, text: str) -> str:
    """A ticket number as printed, however it was typed or scanned ("" when it is not one)."""
    try:
        return numbering.format_number(numbering.parse_number(text, campaign.fiscal_year), campaign.fiscal_year)
    except (CountappError, ValueError):
        return ""


@bp.post("/<code>/audit/samples/<int:number>/count/<int:position>")
@auditor_work
@requires(Role.AUDITOR)
def count_line(code, number, position):
    form = CountForm(prefix="count")
    if form.validate_on_submit():
        audit_sampling.record_count(code, number, position, quantity=form.quantity.data, state=form.state.data,
                                    note=form.note.data or "", reason=form.reason.data or "", by=current_user)
        flash(_("Line %(position)s counted.", position=position), "success")
        campaign = campaign_service.get(code)
        result = audit_sampling.result(campaign, audit_sampling.get_sample(campaign, number))
        following = [r for r in result.rows if r.audited is None]
        nxt = next((r for r in following if r.line.position > position), following[0] if following else None)
        if nxt is not None:
            return redirect(url_for(".count", code=code, number=number, _anchor=f"line-{nxt.line.position}"))
    else:
        _invalid(form)
    return redirect(url_for(".count", code=code, number=number, _anchor=f"line-{position}"))


@bp.post("/<code>/audit/samples/<int:number>/lines")
@auditor_work
@requires(Role.AUDITOR)
def add_line(code, number):
    form = ChosenForm(prefix="chosen")
    if form.validate_on_submit():
        line = audit_sampling.add_chosen_line(code, number, ticket=form.ticket.data or "",
                                              reference=form.reference.data or "", location=form.location.data or "",
                                              lot=form.lot.data or "", by=current_user)
        flash(_("Line %(position)s added: count it now.", position=line.position), "success")
        return redirect(url_for(".count", code=code, number=number, _anchor=f"line-{line.position}"))
    _invalid(form)
    return redirect(url_for(".count", code=code, number=number))


# --- confirmations -------------------------------------------------------------------------------------

@bp.get("/<code>/audit/confirmations")
@requires(*READERS)
def confirmations(code):
    campaign = campaign_service.get(code)
    return render_template("audit/confirmations.html", campaign=campaign, holders=audit_confirm.holders(campaign),
                           form=ConfirmationForm(prefix="answer"), can_write=current_user.role == Role.AUDITOR)


@bp.get("/<code>/audit/confirmations/letters.pdf")
@requires(*READERS)
def letters(code):
    campaign = campaign_service.get(code)
    holder = request.args.get("holder")
    reply_to = current_user.display_name if current_user.role == Role.AUDITOR else ""
    data = audit_confirm.letters_pdf(campaign, holder, reply_to=reply_to)
    name = f"confirmation-{campaign.code}" + (f"-{_safe(holder)}" if holder is not None else "") + ".pdf"
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in (text or "holder"))[:60] or "holder"


@bp.post("/<code>/audit/confirmations/<int:line_id>")
@auditor_work
@requires(Role.AUDITOR)
def answer(code, line_id):
    form = ConfirmationForm(prefix="answer")
    if form.validate_on_submit():
        audit_confirm.record_answer(code, line_id, confirmed_qty=form.confirmed_qty.data,
                                    answered_on=form.answered_on.data, note=form.note.data or "", by=current_user)
        flash(_("Answer recorded."), "success")
    else:
        _invalid(form)
    return redirect(url_for(".confirmations", code=code, _anchor=f"line-{line_id}"))


# --- cut-off and the evidence file -----------------------------------------------------------------------

@bp.get("/<code>/audit/cutoff")
@requires(*READERS)
def cutoff(code):
    campaign = campaign_service.get(code)
    return render_template("audit/cutoff.html", campaign=campaign, cut=audit_review.cutoff(campaign))


@bp.get("/<code>/audit/evidence.zip")
@requires(*READERS)
def evidence(code):
    campaign = campaign_service.get(code)
    data = audit_export.export_bytes(campaign, by=current_user)
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=audit_export.filename(campaign))


@bp.get("/<code>/audit/log.csv")
@requires(*READERS)
def log_csv(code):
    campaign = campaign_service.get(code)
    excel = request.args.get("excel") == "1"
    return send_file(io.BytesIO(audit_export.log_csv(campaign, excel=excel)), mimetype="text/csv",
                     as_attachment=True, download_name=f"audit-log-{campaign.code}-{datetime.now():%Y-%m-%d}"
                                                       f"{'-excel' if excel else ''}.csv")
