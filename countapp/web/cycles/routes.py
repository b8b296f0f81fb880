"""Cycle counting (inventaire tournant) in the browser: programmes, their stock, classes, settings and plan.

The day's counting (due list, count sheet, tablet) is in ``counting``; differences, adjustments,
coverage and the auditor's sample in ``results``: both add their routes to this blueprint. Every rule is
in ``services.cycles``, ``services.cycle_counts`` and ``services.cycle_reports``; these views read forms,
call one service and answer.

Programme codes travel as ``<programme>``, never ``<code>``: ``web.scope`` reads ``code`` as a campaign's.
"""
from __future__ import annotations

import calendar as month_calendar
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tickets.errors import CountappError

from ...extensions import db
from ...models import Campaign, Role
from ...services import cycle_counts, cycle_jobs, cycle_reports, cycle_views
from ...services import cycles as cycle_service
from ...services import imports as import_service
from ...services import jobs
from ..campaigns.forms import SIDES, THRESHOLDS
from ..errors import error_message
from ..formatting import money
from ..review.labels import CAUSES
from ..security import ALL_ROLES, requires
from .forms import ActionForm, ClassForm, ImportForm, PlanForm, ProgrammeForm, SettingsForm, tolerance_field
from .settings_view import fill_settings, given_settings

bp = Blueprint("cycles", __name__)
READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)
COUNTERS = (Role.COUNTER, Role.LEADER, Role.MANAGER, Role.CENTRALISER)


@bp.before_request
def refuse_nul_characters():
    """PostgreSQL text cannot hold NUL: an address carrying one is bad input, not a server error."""
    if any("\x00" in str(v) for v in [*(request.view_args or {}).values(), *request.args.values()]):
        abort(400)


@bp.app_context_processor
def cycle_programmes():
    """For pages outside /cycles (a counter's landing page): whether any programme exists, asked on use."""
    return {"cycle_programmes": lambda: cycle_service.programmes()}


@bp.context_processor
def cycle_labels():
    return {"cause_label": lambda code: str(CAUSES.get(code, code or "—"))}


@bp.app_template_filter("cents")
def cents(value) -> str:
    """An amount kept in cents (the cycle tables), shown as money."""
    return money(None if value is None else Decimal(int(value)) / 100)


def is_manager() -> bool:
    return current_user.role == Role.MANAGER


def day_arg(default: date | None = None, source=None) -> date:
    """The day a page is about (``?day=YYYY-MM-DD``, or the form's ``day`` with ``source=request.form``),
    today when absent; 400 for a date that is not one."""
    text = (request.args if source is None else source).get("day", "").strip()
    if not text:
        return default or date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, _("%(day)s is not a date: use YYYY-MM-DD.", day=text[:20]))


@bp.get("/")
@requires(*ALL_ROLES)
def index():
    """Every programme; counting teams go straight to counting today."""
    found = cycle_service.programmes()
    return render_template("cycles/index.html", programmes=found, can_edit=is_manager(),
                           counts_only=current_user.role in (Role.COUNTER, Role.LEADER))


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.MANAGER)
def new():
    form = ProgrammeForm()
    form.campaign.choices = [("", "—")] + [(c, c) for c in db.session.scalars(
        sa.select(Campaign.code).order_by(Campaign.fiscal_year.desc(), Campaign.code))]
    if request.method == "GET" and not form.fiscal_year.data:
        form.fiscal_year.data = date.today().year
    if form.validate_on_submit():
        try:
            programme = cycle_service.create(form.code.data.strip(), year=form.fiscal_year.data, start=form.start.data,
                                             end=form.end.data, name=form.name.data or "",
                                             campaign_code=form.campaign.data or None, by=current_user)
        except CountappError as error:
            field = getattr(form, {"year": "fiscal_year"}.get(error.field, error.field or ""), None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, error_message(error)]
            else:
                flash(error_message(error), "error")
        else:
            flash(_("Programme %(code)s created: import its stock file next.", code=programme.code), "success")
            return redirect(url_for(".imports", programme=programme.code))
    elif request.method == "POST":
        flash(_("Some values are not valid: see the fields marked in red."), "error")
    return render_template("cycles/new.html", form=form)


@bp.get("/<programme>")
@requires(*READERS)
def home(programme):
    found = cycle_service.get(programme)
    summary = cycle_views.class_summary(found.code)
    items = cycle_views.items(found.code, abc_class=request.args.get("cls") or None,
                                search=request.args.get("q", "").strip()[:120] or None, limit=200)
    days = cycle_service.calendar(found.code)
    # The steps' ticks: counts done, counts due up to today still open, differences waiting, coverage.
    still_due = sum(d.missed(date.today() + timedelta(days=1)) for d in days)
    waiting = len(cycle_counts.differences(found.code, by=current_user))
    covered = cycle_reports.coverage(found.code).total.coverage_pct == 100
    return render_template("cycles/home.html", programme=found, summary=summary, items=items,
                           settings=cycle_service.settings_of(found), planned=sum(d.planned for d in days),
                           counted=sum(d.done for d in days), still_due=still_due, waiting=waiting, covered=covered,
                           class_form=ClassForm(), action=ActionForm(), can_edit=is_manager(),
                           shown_class=request.args.get("cls", ""), search=request.args.get("q", ""))


@bp.post("/<programme>/classify")
@requires(Role.MANAGER)
def classify(programme):
    if ActionForm().validate_on_submit():
        found = cycle_service.classify(programme, by=current_user)
        flash(_("Classes computed: A %(a)s, B %(b)s, C %(c)s items.", a=found.items.get("A", 0),
                b=found.items.get("B", 0), c=found.items.get("C", 0)), "success")
    return redirect(url_for(".home", programme=programme))


@bp.post("/<programme>/class")
@requires(Role.MANAGER)
def set_class(programme):
    form = ClassForm()
    if form.validate_on_submit():
        item = cycle_service.set_class(programme, form.reference.data, form.abc_class.data, by=current_user)
        flash(_("%(reference)s is now in class %(cls)s (set by hand).", reference=item.reference,
                cls=item.abc_class), "success")
    else:
        flash(_("Choose a class: A, B or C."), "error")
    return redirect(request.referrer or url_for(".home", programme=programme))


@bp.route("/<programme>/imports", methods=["GET", "POST"])
@requires(*READERS)
def imports(programme):
    found = cycle_service.get(programme)
    form = ImportForm()
    if request.method == "POST":
        if not is_manager():
            abort(403)
        if form.validate_on_submit():
            upload = import_service.save_upload(form.file.data.stream, form.file.data.filename)
            try:
                job_id = cycle_jobs.start_import_job(form.kind.data, found.code, upload, by=current_user,
                                                        as_of=form.as_of.data.isoformat() if form.as_of.data else None)
            except CountappError as error:
                flash(error_message(error), "error")
            else:
                return redirect(url_for(".import_job", programme=found.code, job=job_id))
        else:
            flash(_("Choose a file to import."), "error")
    return render_template("cycles/imports.html", programme=found, form=form, summary=cycle_views.class_summary(found.code),
                           can_edit=is_manager())


@bp.get("/<programme>/imports/jobs/<job>")
@requires(*READERS)
def import_job(programme, job):
    found = cycle_service.get(programme)
    status = jobs.status(job)
    if status is None or status.get("campaign") != found.code or not str(status.get("kind", "")).startswith("cycle."):
        abort(404)
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return jsonify(status)
    return render_template("cycles/import_job.html", programme=found, job=status)


@bp.route("/<programme>/settings", methods=["GET", "POST"])
@requires(*READERS)
def settings(programme):
    found = cycle_service.get(programme)
    form = SettingsForm()
    if request.method == "POST":
        if not is_manager():
            abort(403)
        if form.validate_on_submit():
            try:
                cycle_service.configure(found.code, given_settings(form, combined=found.campaign_id is not None),
                                        by=current_user)
            except CountappError as error:
                flash(error_message(error), "error")
            else:
                flash(_("Settings saved."), "success")
                return redirect(url_for(".settings", programme=found.code))
        else:
            flash(_("Some values are not valid: see the fields marked in red."), "error")
    else:
        fill_settings(form, cycle_service.settings_of(found))
    tolerance = [(side_label, [(label, form[tolerance_field(side, key)]) for key, label in THRESHOLDS])
                 for side, side_label in SIDES]
    return render_template("cycles/settings.html", programme=found, form=form, tolerance=tolerance,
                           can_edit=is_manager())


@bp.get("/<programme>/plan")
@requires(*READERS)
def plan(programme):
    """The calendar of the plan: per month, the lines due on each working day."""
    found = cycle_service.get(programme)
    today = day_arg(date.today())
    days = {d.day: d for d in cycle_service.calendar(found.code)}
    months = _months(found.start_date, found.end_date, days, today, set(cycle_service.settings_of(found).holidays))
    missed = sum(d.missed(today) for d in days.values())
    return render_template("cycles/plan.html", programme=found, months=months, action=ActionForm(), plan_form=PlanForm(),
                           can_edit=is_manager(), planned=sum(d.planned for d in days.values()),
                           done=sum(d.done for d in days.values()), missed=missed, today=today,
                           working_days=len(days),
                           busiest=max((d.planned for d in days.values()), default=0))


@bp.post("/<programme>/plan")
@requires(Role.MANAGER)
def make_plan(programme):
    form = PlanForm()
    if form.validate_on_submit():
        replace = request.form.get("replace") == "1"
        result = cycle_service.plan(programme, start=form.start.data, replace=replace, by=current_user)
        if not result.lines:
            flash(_("Every line already has its counts planned, or counted: nothing new to plan."), "info")
            return redirect(url_for(".plan", programme=programme))
        flash(ngettext("Plan made: %(num)d count of %(lines)s lines over %(days)s working days, about %(per_day)s a day.",
                       "Plan made: %(num)d counts of %(lines)s lines over %(days)s working days, about %(per_day)s a day.",
                       result.entries, lines=result.lines, days=result.working_days, per_day=result.needed_per_day),
              "success")
        if result.overloaded_days:
            flash(ngettext("%(num)d day needs more lines than the daily workload: raise it or accept the load.",
                           "%(num)d days need more lines than the daily workload: raise it or accept the load.",
                           result.overloaded_days), "warning")
    return redirect(url_for(".plan", programme=programme))


@bp.post("/<programme>/replan")
@requires(Role.MANAGER)
def replan(programme):
    if ActionForm().validate_on_submit():
        today = day_arg(source=request.form)
        moved = cycle_service.replan(programme, today=today, by=current_user)
        flash(ngettext("%(num)d missed count moved onto the next working days.",
                       "%(num)d missed counts moved onto the next working days.", moved), "success")
    return redirect(url_for(".plan", programme=programme, day=request.form.get("day") or None))


def _months(start: date, end: date, days: dict, today: date, holidays: set) -> list[dict]:
    """The plan's months as weeks of cells (Monday first): each working day with its lines due."""
    months, year, month = [], start.year, start.month
    weeks_of = month_calendar.Calendar(firstweekday=0)
    while (year, month) <= (end.year, end.month):
        weeks = []
        for week in weeks_of.monthdatescalendar(year, month):
            cells = []
            for day in week:
                load = days.get(day)
                cells.append(None if day.month != month else {
                    "day": day, "work": load is not None, "planned": load.planned if load else 0,
                    "open": load.open if load else 0, "done": load.done if load else 0,
                    "missed": bool(load and load.missed(today)), "today": day == today,
                    "holiday": day in holidays,
                    "in_year": start <= day <= end})
            weeks.append(cells)
        first = date(year, month, 1)
        months.append({"label": format_date(first, "LLLL yyyy"), "weeks": weeks,
                       "planned": sum(days[d].planned for d in days if d.year == year and d.month == month)})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


from . import counting, results  # noqa: E402,F401  (their routes join this blueprint)
