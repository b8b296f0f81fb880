"""Reconciliation review: one page of the rows at a time, causes, sign-off and downloads.

Managers, centralisers and auditors read it (counting teams never see book quantities); the
centraliser sets causes, the manager signs off and reopens. The figures are computed once per
data version and kept (``services.reconciliation.kept``), so paging through 100,000 lines only
filters and slices arrays.

A bare page opens on the differences (when there are any); every filter lives in the query string,
so a copied link or the back button shows the same lines. Causes are set from a row or for the
lines ticked; the page's script asks for JSON and updates the rows in place, and without script
the same forms post and come back to the same filters.
"""
from __future__ import annotations

import io
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from reports.model import CATEGORIES, STATUSES
from reports.review import DIFF_ON, NO_CAUSE, PER_PAGE, Query
from tickets.errors import CountappError

from ...extensions import db
from ...models import Role
from ...services import campaigns as campaign_service
from ...services import reconciliation as service
from ..errors import error_message
from ..security import requires
from . import labels
from .forms import BulkCauseForm, CauseForm, ReopenForm, SignOffForm

bp = Blueprint("review", __name__)
READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)
# Rows whose cause the centraliser may set: those with something to explain.
EXPLAINED = ("difference", "unknown_to_book", "not_counted", "third_party")
QUERY_KEYS = ("category", "zone", "status", "cause", "exceptions", "min_diff", "diff_on", "q", "sort", "dir", "page",
              "per_page")
ALL = "all"                    # the status filter's value for every line, said in the URL
OPENING_STATUS = "difference"  # what a bare page opens on, when any line has a difference
MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def unit_cost(value) -> str:
    """A unit cost with 2 to 6 decimals, as typed in the ERP."""
    if value is None:
        return "—"
    return format_decimal(Decimal(value), format="#,##0.00####")


def _back(args) -> str:
    """The page's own query string, rebuilt from known keys only (never a URL to follow)."""
    pairs = [(k, v) for k, v in parse_qsl(args or "", keep_blank_values=False) if k in QUERY_KEYS]
    return urlencode(pairs)


def _chart_order(categories: list[str]) -> list[str]:
    return [c for c in CATEGORIES if c in categories] + [c for c in categories if c not in CATEGORIES]


def opening_args(args, status_counts: dict) -> dict:
    """The query the page answers: a bare page opens on the differences when there are any; any
    parameter given (a shared link, the page's own links) is taken as written, ``status=all`` for
    every line."""
    given = {k: args.get(k) for k in QUERY_KEYS if k in args}
    if not given and status_counts.get(OPENING_STATUS):
        given["status"] = OPENING_STATUS
    if given.get("status") == ALL:
        given["status"] = ""
    return given


def _links(query: Query):
    """The page's own links: the query with some values changed, "every status" written out."""
    def args(**changes) -> dict:
        values = query.args(**changes)
        values.setdefault("status", ALL)
        return values
    return args


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _index_url(code: str, back: str = "") -> str:
    url = url_for(".index", code=code)
    return f"{url}?{back}" if back else url


@bp.get("/<code>/review")
@requires(*READERS)
def index(code):
    campaign = campaign_service.get(code)
    kept, result = service.current(campaign)
    status_counts = {str(k): int(v) for k, v in result.frame["status"].value_counts().items()}
    query = Query.from_args(opening_args(request.args, status_counts))
    page = kept.selector.select(query, result.frame)
    rows = page.rows.to_dict("records")
    for row in rows:
        row["line_key"] = kept.line_key(row)
    notes = service.notes(campaign, [r["line_key"] for r in rows if r["line_key"] and r["cause"]])
    state = service.sign_state(campaign)
    role = current_user.role
    back = urlencode(_links(query)())
    bulk_form = BulkCauseForm(prefix="bulk", back=back)
    sign_form = SignOffForm(prefix="sign")
    if not sign_form.name.data:
        sign_form.name.data = current_user.display_name
    return render_template(
        "review/index.html", campaign=campaign, result=result, page=page, rows=rows, query=query, notes=notes,
        state=state, changed_since_signed=state.signed and state.signed_version not in (None, kept.version),
        can_set_causes=role == Role.CENTRALISER and not state.signed,
        can_sign=role == Role.MANAGER, sign_form=sign_form, reopen_form=ReopenForm(prefix="reopen"),
        explained=EXPLAINED, back=back, links=_links(query), status_counts=status_counts, bulk_form=bulk_form,
        categories=_chart_order(kept.selector.choices("category")), zones=kept.selector.choices("zone"),
        statuses=[s for s in STATUSES if s in set(kept.selector.choices("status"))], causes=labels.CAUSES,
        no_cause=NO_CAUSE, diff_on=DIFF_ON, per_page_choices=PER_PAGE, labels=labels, unit_cost=unit_cost,
        warnings=[w.message(str(get_locale()) if str(get_locale()) in ("fr", "en") else "en")
                  for w in result.warnings],
        exceptions_total=int((result.frame["exception"] != "").sum()))


@bp.post("/<code>/review/cause")
@requires(Role.CENTRALISER)
def set_cause(code):
    """One line's cause. A page's script asks for JSON and updates the row in place; without
    script the form posts and the page comes back at the same filters."""
    form = CauseForm()
    back = _back(form.back.data)
    if not form.validate_on_submit():
        return _refused(code, back, _("Choose a cause from the list."))
    try:
        saved = service.set_cause(code, form.line.data, form.cause.data or "", note=form.note.data or "",
                                  by=current_user)
    except CountappError as error:
        db.session.rollback()
        return _refused(code, back, error_message(error))
    if saved is None:
        message, category = _("Nothing changed."), "info"
    else:
        message, category = (_("Cause saved.") if saved.cause else _("Cause cleared.")), "success"
    if _wants_json():
        return jsonify(ok=True, message=message, lines={form.line.data: _cause_view(form.cause.data, form.note.data)})
    flash(message, category)
    return redirect(_index_url(code, back))


@bp.post("/<code>/review/causes")
@requires(Role.CENTRALISER)
def set_causes(code):
    """One cause for the lines ticked: one service call, one transaction, one audit event per line."""
    form = BulkCauseForm(prefix="bulk")
    back = _back(form.back.data)
    if not form.validate_on_submit():
        return _refused(code, back, _("Choose a cause from the list."))
    keys = request.form.getlist("lines")
    try:
        saved = service.set_causes(code, keys, form.cause.data or "", note=form.note.data or "", by=current_user)
    except CountappError as error:
        db.session.rollback()
        return _refused(code, back, error_message(error))
    keys = list(dict.fromkeys(k for k in keys if k))
    if not saved:
        message = _("Nothing changed.")
    elif form.cause.data:
        message = ngettext("Cause saved for %(num)d line.", "Cause saved for %(num)d lines.", len(saved))
    else:
        message = ngettext("Cause cleared for %(num)d line.", "Cause cleared for %(num)d lines.", len(saved))
    if saved and len(saved) < len(keys):
        message += " " + ngettext("%(num)d line already had it.", "%(num)d lines already had it.",
                                  len(keys) - len(saved))
    if _wants_json():
        view = _cause_view(form.cause.data, form.note.data)
        return jsonify(ok=True, message=message, lines={key: view for key in keys})
    flash(message, "success")
    return redirect(_index_url(code, back))


def _cause_view(cause: str | None, note: str | None) -> dict:
    return {"cause": cause or "", "label": labels.label(labels.CAUSES, cause or ""), "note": (note or "").strip()}


def _refused(code: str, back: str, message: str):
    if _wants_json():
        return jsonify(ok=False, message=message), 400
    flash(message, "error")
    return redirect(_index_url(code, back))


@bp.post("/<code>/review/sign")
@requires(Role.MANAGER)
def sign(code):
    form = SignOffForm(prefix="sign")
    if not form.validate_on_submit():
        flash(_("The sign-off needs the signer's name."), "error")
        return redirect(url_for(".index", code=code))
    record = service.sign_off(code, name=form.name.data, by=current_user)
    flash(_("Reconciliation signed off by %(name)s: it is frozen until reopened.", name=record.name), "success")
    return redirect(url_for(".index", code=code))


@bp.post("/<code>/review/reopen")
@requires(Role.MANAGER)
def reopen(code):
    form = ReopenForm(prefix="reopen")
    if not form.validate_on_submit():
        flash(_("Reopening the reconciliation needs a written reason."), "error")
        return redirect(url_for(".index", code=code))
    service.reopen(code, reason=form.reason.data, by=current_user)
    flash(_("Reconciliation reopened: causes may be changed again."), "success")
    return redirect(url_for(".index", code=code))


@bp.get("/<code>/review/reconciliation.<fmt>")
@requires(*READERS)
def download(code, fmt):
    if fmt not in service.FORMATS:
        abort(404)
    campaign = campaign_service.get(code)
    excel = fmt == "csv" and request.args.get("excel") == "1"
    data = service.write_bytes(campaign, fmt, excel=excel)
    name = service.filename(campaign, fmt)
    return send_file(io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=name.replace(".csv", "-excel.csv") if excel else name)
