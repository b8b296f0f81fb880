"""The annual inventory report: the manager's texts, drafts generated in the background, the
entries, closing the campaign (report frozen) and reopening it.

Managers, centralisers and auditors read the page and download; the manager writes the texts,
closes and reopens; managers and centralisers generate drafts.
"""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...models import CampaignStatus, Role
from ...services import annual_report as service
from ...services import campaigns as campaign_service
from ...services import closing, fec, jobs
from ..security import requires
from .forms import CloseForm, GenerateForm, ReopenForm, TextsForm

bp = Blueprint("report", __name__)
READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)
GENERATORS = (Role.MANAGER, Role.CENTRALISER)
MIMETYPES = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
JOB_KIND = "report.generate"


@bp.get("/<code>/report")
@requires(*READERS)
def index(code):
    campaign = campaign_service.get(code)
    closed = campaign.status == CampaignStatus.CLOSED
    form = TextsForm(prefix="texts", data=service.texts(campaign))
    blockers = closing.blockers(campaign) if not closed and campaign.status != CampaignStatus.PLANNING else None
    return render_template(
        "report/index.html", campaign=campaign, closed=closed, texts_form=form,
        can_write=current_user.role == Role.MANAGER and not closed,
        can_generate=current_user.role in GENERATORS and not closed,
        can_close=current_user.role == Role.MANAGER, generate_form=GenerateForm(prefix="generate"),
        close_form=CloseForm(prefix="close"), reopen_form=ReopenForm(prefix="reopen"), blockers=blockers,
        frozen=closing.frozen(campaign), draft=None if closed else service.latest_draft(campaign),
        history=closing.history(campaign), archives=service.archives(campaign))


@bp.post("/<code>/report/texts")
@requires(Role.MANAGER)
def texts(code):
    form = TextsForm(prefix="texts")
    if not form.validate_on_submit():
        flash(_("A text is too long."), "error")
        return redirect(url_for(".index", code=code))
    changed = service.save_texts(code, {name: getattr(form, name).data or "" for name in
                                        ("narrative", "difficulties", "solutions", "proposals")}, by=current_user)
    flash(_("Texts saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for(".index", code=code) + "#texts")


@bp.post("/<code>/report/generate")
@requires(*GENERATORS)
def generate(code):
    campaign = campaign_service.get(code)
    if campaign.status == CampaignStatus.CLOSED:
        flash(_("The campaign is closed: its report is the one frozen at closing."), "info")
        return redirect(url_for(".index", code=code))
    job_id = service.start_generate_job(code, by=current_user)
    return redirect(url_for(".job", code=code, job=job_id))


@bp.get("/<code>/report/job/<job>")
@requires(*READERS)
def job(code, job):
    campaign = campaign_service.get(code)
    status = jobs.status(job)
    if status is None or status.get("campaign") != campaign.code or status.get("kind") != JOB_KIND:
        abort(404)
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return jsonify(status)
    return render_template("report/job.html", campaign=campaign, job=status,
                           url=url_for(".job", code=code, job=job, format="json"))


@bp.get("/<code>/report/job/<job>/draft.<fmt>")
@requires(*READERS)
def job_draft(code, job, fmt):
    """The draft this job made, kept with the job: any server sends it, whichever machine made it."""
    campaign = campaign_service.get(code)
    status = jobs.status(job)
    if (status is None or status.get("campaign") != campaign.code or status.get("kind") != JOB_KIND
            or status.get("state") != "done" or fmt not in MIMETYPES):
        abort(404)
    found = jobs.output(job, f"draft.{fmt}")
    if found is None:
        abort(404)
    return send_file(io.BytesIO(found.data), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=service.filename(campaign, fmt))


@bp.get("/<code>/report/draft.<fmt>")
@requires(*READERS)
def draft(code, fmt):
    campaign = campaign_service.get(code)
    data = service.draft_file(campaign, fmt)
    if data is None:
        abort(404)
    return send_file(io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=service.filename(campaign, fmt))


@bp.get("/<code>/report/archive/<int:archive_id>.<fmt>")
@requires(*READERS)
def archive(code, archive_id, fmt):
    campaign = campaign_service.get(code)
    found = next((a for a in service.archives(campaign) if a.id == archive_id), None)
    if found is None or fmt not in MIMETYPES:
        abort(404)
    data = found.pdf if fmt == "pdf" else found.xlsx
    if data is None:
        abort(404)
    return send_file(io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=service.filename(campaign, fmt, final=True))


@bp.get("/<code>/report/final.<fmt>")
@requires(*READERS)
def final(code, fmt):
    campaign = campaign_service.get(code)
    frozen = closing.frozen(campaign)
    if frozen is None or fmt not in MIMETYPES:
        abort(404)
    return archive(code, frozen.id, fmt)


@bp.get("/<code>/report/entries.csv")
@requires(*READERS)
def entries(code):
    campaign = campaign_service.get(code)
    excel = request.args.get("excel") == "1"
    buffer = io.BytesIO()
    service.write_entries_csv(campaign, buffer, excel=excel)
    return send_file(io.BytesIO(buffer.getvalue()), mimetype="text/csv", as_attachment=True,
                     download_name=f"entries-{campaign.code}{'-excel' if excel else ''}.csv")


@bp.get("/<code>/report/entries-fec.txt")
@requires(*READERS)
def entries_fec(code):
    """The statutory FEC (reports.fec): UTF-8, tab-separated, CRLF; named <SIREN>FEC<AAAAMMJJ>.txt."""
    campaign = campaign_service.get(code)
    built = fec.build(campaign)
    return send_file(io.BytesIO(built.data), mimetype="text/plain; charset=utf-8", as_attachment=True,
                     download_name=built.name)


@bp.post("/<code>/report/close")
@requires(Role.MANAGER)
def close(code):
    form = CloseForm(prefix="close")
    if not form.validate_on_submit():
        flash(_("The reason is too long."), "error")
        return redirect(url_for(".index", code=code))
    record = closing.close(code, override_reason=form.override_reason.data or "", by=current_user)
    flash(_("Campaign closed: the final report is frozen (SHA-256 %(sha)s) and the campaign's data can no longer "
            "change.", sha=record.sha256), "success")
    return redirect(url_for(".index", code=code))


@bp.post("/<code>/report/reopen")
@requires(Role.MANAGER)
def reopen(code):
    form = ReopenForm(prefix="reopen")
    if not form.validate_on_submit():
        flash(_("Reopening a campaign needs a written reason."), "error")
        return redirect(url_for(".index", code=code))
    closing.reopen(code, reason=form.reason.data, by=current_user)
    flash(_("Campaign reopened: its data may change again. The report frozen at closing is kept."), "success")
    return redirect(url_for(".index", code=code))
