"""Tickets: the list, generate, issue and return ranges, void, print (a background job), ticket control."""
from __future__ import annotations

import io

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, send_file,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from reports import csv_out
from tickets.control import format_spans

from ...models import Role
from ...services import campaigns as campaign_service
from ...services import jobs
from ...services import teams as team_service
from ...services import ticket_control
from ...services import tickets as ticket_service
from ..args import address_int
from ..security import requires
from .forms import GenerateForm, PrintForm, RangeForm, VoidForm

bp = Blueprint("tickets", __name__)
READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)
VOIDERS = (Role.MANAGER, Role.CENTRALISER)
PRINTERS = (Role.MANAGER, Role.CENTRALISER)


@bp.context_processor
def ticket_helpers():
    def ticket_no(sequence, campaign) -> str:
        return ticket_service.label(campaign, int(sequence)) if sequence else "—"

    def ticket_spans(spans, limit: int = 60) -> str:
        """Runs of numbers as people write them; a very long list is cut (the CSV has it whole)."""
        spans = tuple(spans)
        text = format_spans(spans[:limit])
        return text + (" …" if len(spans) > limit else "")

    return {"ticket_spans": ticket_spans, "ticket_no": ticket_no}


def _form_errors(form) -> None:
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for error in errors:
            flash(f"{label}: {error}", "error")


def _void_form(number: str = "") -> VoidForm:
    form = VoidForm(prefix="void")
    if number and not form.number.data:
        form.number.data = number
    return form


# --- the list -----------------------------------------------------------------------------------

@bp.get("/<code>/tickets")
@requires(*READERS)
def index(code):
    campaign = campaign_service.get(code)
    filters = ticket_control.Filters.from_args(request.args)
    after = request.args.get("after", type=address_int)
    before = request.args.get("before", type=address_int)
    found = ticket_control.page(campaign, filters, after=after, before=before)
    generate = GenerateForm(prefix="generate")
    return render_template(
        "tickets/index.html", campaign=campaign, filters=filters, page=found,
        summary=ticket_control.summary(campaign), teams=team_service.teams_of(campaign),
        zones=ticket_control.zones(campaign), generate=generate, void=_void_form(),
        can_generate=current_user.role == Role.MANAGER, can_void=current_user.role in VOIDERS)


@bp.get("/<code>/tickets.csv")
@requires(*READERS)
def list_csv(code):
    campaign = campaign_service.get(code)
    excel = request.args.get("excel") == "1"

    def lines():
        buffer = io.StringIO()
        writer = csv_out.Writer(buffer, csv_out.dialect(excel), campaign.language,
                                ticket_service.ticket_words(campaign.language))
        writer.header(ticket_service.LIST_COLUMNS)
        for n, row in enumerate(ticket_service.rows(campaign), 1):
            writer.dict_row(ticket_service.LIST_COLUMNS, row)
            if n % 2000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(lines()), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="tickets-{campaign.code}{"-excel" if excel else ""}.csv"'})


@bp.post("/<code>/tickets/generate")
@requires(Role.MANAGER)
def generate(code):
    form = GenerateForm(prefix="generate")
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for(".index", code=code))
    job_id = ticket_service.start_generate_job(code, blank=form.blank.data, by=current_user)
    return redirect(url_for(".generate_job", code=code, job=job_id))


def _job_status(campaign, job: str, kind: str) -> dict:
    status = jobs.status(job)
    if status is None or status.get("campaign") != campaign.code or status.get("kind") != kind:
        abort(404)
    return status


def _job_page(campaign, status: dict, url: str):
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return jsonify(status)
    return render_template("tickets/job.html", campaign=campaign, job=status, url=url)


@bp.get("/<code>/tickets/generate/<job>")
@requires(Role.MANAGER)
def generate_job(code, job):
    campaign = campaign_service.get(code)
    status = _job_status(campaign, job, "tickets.generate")
    return _job_page(campaign, status, url_for(".generate_job", code=code, job=job, format="json"))


# --- one ticket, void ---------------------------------------------------------------------------

@bp.get("/<code>/tickets/<int:number>")
@requires(*READERS)
def detail(code, number):
    campaign = campaign_service.get(code)
    history = ticket_control.ticket_history(campaign, number)
    return render_template("tickets/detail.html", campaign=campaign, h=history, void=_void_form(history.number),
                           can_void=current_user.role in VOIDERS)


@bp.post("/<code>/tickets/void")
@requires(*VOIDERS)
def void(code):
    form = _void_form()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(request.referrer or url_for(".index", code=code))
    record = ticket_service.void(code, form.number.data, reason=form.reason.data, by=current_user)
    campaign = campaign_service.get(code)
    sequence = record.ticket.sequence
    flash(_("Ticket %(ticket)s voided. It is kept, with the reason, and can no longer be counted.",
            ticket=ticket_service.label(campaign, sequence)), "success")
    return redirect(url_for(".detail", code=code, number=sequence))


# --- ranges -------------------------------------------------------------------------------------

def _range_form(prefix: str, campaign) -> RangeForm:
    form = RangeForm(prefix=prefix)
    form.team.choices = [(t.number, _("Team %(n)s (round %(round)s)", n=t.number, round=t.round))
                         for t in team_service.teams_of(campaign)]
    return form


@bp.get("/<code>/tickets/ranges")
@requires(*READERS)
def ranges(code):
    campaign = campaign_service.get(code)
    return render_template("tickets/ranges.html", campaign=campaign, ranges=ticket_control.ranges(campaign),
                           summary=ticket_control.summary(campaign), issue=_range_form("issue", campaign),
                           give_back=_range_form("return", campaign), can_edit=current_user.role == Role.MANAGER)


@bp.post("/<code>/tickets/ranges/issue")
@requires(Role.MANAGER)
def issue(code):
    campaign = campaign_service.get(code)
    form = _range_form("issue", campaign)
    if form.validate_on_submit():
        issued = ticket_service.issue(code, team=form.team.data, first=form.first.data, last=form.last.data,
                                      by=current_user)
        flash(ngettext("%(num)d ticket (%(first)s to %(last)s) issued to team %(team)s for round %(round)s.",
                       "%(num)d tickets (%(first)s to %(last)s) issued to team %(team)s for round %(round)s.",
                       issued.last - issued.first + 1, first=ticket_service.label(campaign, issued.first),
                       last=ticket_service.label(campaign, issued.last), team=form.team.data, round=issued.round),
              "success")
    else:
        _form_errors(form)
    return redirect(url_for(".ranges", code=code))


@bp.post("/<code>/tickets/ranges/return")
@requires(Role.MANAGER)
def give_back(code):
    campaign = campaign_service.get(code)
    form = _range_form("return", campaign)
    if form.validate_on_submit():
        returned = ticket_service.return_unused(code, team=form.team.data, first=form.first.data,
                                                last=form.last.data, by=current_user)
        flash(ngettext("%(num)d ticket (%(first)s to %(last)s) returned unused by team %(team)s.",
                       "%(num)d tickets (%(first)s to %(last)s) returned unused by team %(team)s.",
                       returned.last - returned.first + 1, first=ticket_service.label(campaign, returned.first),
                       last=ticket_service.label(campaign, returned.last), team=form.team.data), "success")
    else:
        _form_errors(form)
    return redirect(url_for(".ranges", code=code))


# --- print --------------------------------------------------------------------------------------

@bp.route("/<code>/tickets/print", methods=["GET", "POST"])
@requires(*PRINTERS)
def print_form(code):
    campaign = campaign_service.get(code)
    form = PrintForm()
    if request.method == "GET":
        form.language.data = campaign.language
    elif form.validate_on_submit():
        job_id = ticket_service.start_print_job(code, first=form.first.data, last=form.last.data,
                                                per_page=form.per_page.data, language=form.language.data,
                                                by=current_user)
        return redirect(url_for(".print_job", code=code, job=job_id))
    else:
        _form_errors(form)
    return render_template("tickets/print.html", campaign=campaign, form=form,
                           summary=ticket_control.summary(campaign))


@bp.get("/<code>/tickets/print/<job>")
@requires(*PRINTERS)
def print_job(code, job):
    campaign = campaign_service.get(code)
    status = _job_status(campaign, job, "tickets.print")
    return _job_page(campaign, status, url_for(".print_job", code=code, job=job, format="json"))


@bp.get("/<code>/tickets/print/<job>/download")
@requires(*PRINTERS)
def print_download(code, job):
    campaign = campaign_service.get(code)
    status = _job_status(campaign, job, "tickets.print")
    result = status.get("result") or {}
    found = jobs.output(job, result.get("file", "")) if status.get("state") == "done" else None
    if found is None:
        abort(404)
    name = f"tickets-{campaign.code}-{result['first'][:6]}-{result['last'][:6]}.pdf"
    return send_file(io.BytesIO(found.data), mimetype="application/pdf", as_attachment=True, download_name=name)


# --- ticket control -----------------------------------------------------------------------------

@bp.get("/<code>/tickets/control")
@requires(*READERS)
def control(code):
    campaign = campaign_service.get(code)
    report = ticket_control.control_report(campaign)
    counting = ticket_control.still_counting(campaign)
    return render_template("tickets/control.html", campaign=campaign, report=report, counting=counting,
                           verdict=ticket_control.verdict(report, counting=counting),
                           range_verdict=ticket_control.range_verdict, voids=ticket_control.voids(campaign))


@bp.get("/<code>/tickets/control.csv")
@requires(*READERS)
def control_csv(code):
    campaign = campaign_service.get(code)
    excel = request.args.get("excel") == "1"
    return Response(ticket_control.control_csv(campaign, excel=excel), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="ticket-control-{campaign.code}'
                                                    f'{"-excel" if excel else ""}.csv"'})
