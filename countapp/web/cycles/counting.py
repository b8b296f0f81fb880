"""A day's cycle counts: the due list by place, the printed count sheet, the tablet and its counts.

Blind as the campaign's tablet: what a counter sees comes from ``services.cycles.due`` (no book quantity,
no other round's count). The tablet sends each count with a client id made once on the tablet, so a
retry after a lost answer is the same count, never a second one.
"""
from __future__ import annotations

import io
import re
from datetime import date
from itertools import groupby

from flask import Response, abort, jsonify, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from tickets.errors import CountappError

from ...services import cycle_counts
from ...services import cycles as cycle_service
from ..counting import tablet_info
from ..counting.routes import worker_response
from ..counting.texts import login_again
from ..errors import error_message
from ..labels import STATES
from ..security import ALL_ROLES, requires
from .routes import COUNTERS, bp, day_arg

# A page or a sheet holds the first lines of the walk: a programme far behind has a long overdue list, and a
# counter works through a day's walk, not a year's backlog.
PAGE_LINES = 500
SHEET_LINES = 2000


def line_code(plan_id: int) -> str:
    """What a line's barcode holds on the count sheet, and what the tablet looks a scan up by."""
    return f"CY{plan_id:07d}"


def place_of(line) -> str:
    """Where a counter walks to: the line's site and zone (one aisle), else its location."""
    return " · ".join(p for p in (line.site, line.zone) if p) or line.location


def by_place(lines) -> list[tuple[str, list]]:
    """The due lines grouped by place, in the walking order the service gives them."""
    return [(place, list(group)) for place, group in groupby(lines, key=place_of)]


@bp.get("/<programme>/due")
@requires(*ALL_ROLES)
def due(programme):
    found = cycle_service.get(programme)
    day = day_arg()
    lines = cycle_service.due(found.code, day, user=current_user, limit=PAGE_LINES)
    return render_template("cycles/due.html", programme=found, day=day, places=by_place(lines), total=len(lines),
                           limited=len(lines) >= PAGE_LINES,
                           overdue=sum(1 for line in lines if line.overdue), line_code=line_code,
                           may_count=current_user.role in COUNTERS)


@bp.get("/<programme>/due/<day>.pdf")
@requires(*ALL_ROLES)
def sheet(programme, day):
    """The day's count sheet: the lines due, place by place, each with its barcode; never a quantity."""
    # Loads reportlab: for this page only.
    from tickets.cycle_sheet import CycleSheetView, SheetLineView, write_cycle_sheet

    found = cycle_service.get(programme)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    lines = cycle_service.due(found.code, when, user=current_user, limit=SHEET_LINES)
    view = CycleSheetView(
        programme=f"{found.code} · {found.name}" if found.name else found.code, day=format_date(when, "full"),
        lines=[SheetLineView(code=line_code(line.plan_id), reference=line.reference, designation=line.designation,
                             location=line.location, place=place_of(line), lot=line.lot or None, unit=line.unit)
               for line in lines])
    out = io.BytesIO()
    write_cycle_sheet(view, out, "fr" if str(get_locale()) == "fr" else "en")
    name = f"{found.code}-{when.isoformat()}.pdf"
    return Response(out.getvalue(), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


def _note(line) -> str | None:
    if line.round == 2:
        return _("2nd count: someone else counted this line first. Count it again, on your own.")
    if line.round == 3:
        return _("3rd count: the first two counts disagree. Count it again; this count is final.")
    return None


def tablet_texts() -> dict[str, str]:
    return {
        "lot": _("Lot"), "to_count": _("To count"),
        "counted": _("Counted"), "waiting": _("Waiting to be sent"), "online": _("Online"),
        "offline": _("No network: counts wait on this tablet"), "saved": _("Count saved."),
        "refused": _("This count was refused."), "unknown_line": _("This barcode is not a line due on this day."),
        "already": _("%(reference)s is already counted.", reference="{reference}"),
        "bad_quantity": _("Type a number, for example 12 or 12,5."),
        "login_again": login_again(),   # the campaign tablet's words
    }


@bp.get("/sw.js")
@requires(*COUNTERS)
def service_worker():
    """The cycle tablet's service worker, served under /cycles/ so that its scope covers the tablet pages:
    a reload without the network shows the day's page kept on the tablet."""
    scope = url_for(".index")
    return worker_response("cycles", scope, "^" + re.escape(scope) + "[^/]+/count$", tablet_info.CYCLE_SHELL_FILES)


@bp.get("/<programme>/count")
@requires(*COUNTERS)
def tablet(programme):
    found = cycle_service.get(programme)
    day = day_arg()
    lines = cycle_counts.countable(cycle_service.due(found.code, day, user=current_user, limit=PAGE_LINES), current_user)
    data = {"programme": found.code, "user": current_user.login, "day": day.isoformat(),
            "count_url": url_for(".count", programme=found.code, plan_id=0),
            "lines": [{"id": line.plan_id, "code": line_code(line.plan_id), "reference": line.reference,
                       "designation": line.designation, "location": line.location, "place": place_of(line),
                       "lot": line.lot, "unit": line.unit, "round": line.round, "todo": True,
                       "note": _note(line)} for line in lines]}
    return render_template("cycles/tablet.html", programme=found, day=day, data=data, left=len(lines),
                           texts=tablet_texts(), states={k: str(v) for k, v in STATES.items()},
                           page_cache=tablet_info.PAGE_CACHE)


@bp.post("/<programme>/count/<int:plan_id>")
@requires(*COUNTERS)
def count(programme, plan_id):
    """One count from the tablet (JSON); a replayed client id answers the stored count."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error={"message": _("Send the count as JSON."), "field": None}), 400
    try:
        day = date.fromisoformat(str(body.get("day") or date.today().isoformat()))
    except ValueError:
        return jsonify(error={"message": _("%(day)s is not a date: use YYYY-MM-DD.", day=str(body.get("day"))[:20]),
                              "field": "day"}), 400
    try:
        rnd = int(body.get("round") or 1)
    except (TypeError, ValueError):
        return jsonify(error={"message": _("The round must be 1, 2 or 3, not '%(value)s'.",
                                           value=str(body.get("round"))[:20]), "field": "round"}), 400
    given = cycle_counts.CycleCountInput(plan_id=plan_id, round=rnd, quantity=body.get("quantity"),
                                         state=str(body.get("state") or "good"), counted_on=day,
                                         client_id=body.get("client_id"))
    try:
        outcome = cycle_counts.record_count(programme, given, by=current_user, source="tablet")
    except CountappError as error:
        return jsonify(error={"message": error_message(error), "field": error.field}), error.status
    if outcome.next_round == 2:
        message = _("Count saved. A 2nd count by another person is needed: the line stays on the list for them.")
    elif outcome.next_round == 3:
        message = _("Count saved. The two counts disagree: a 3rd count is needed.")
    else:
        message = _("Count saved.")
    # Blind: the answer says whether another count is needed, never a quantity nor the plan's status.
    return jsonify(plan=outcome.plan_id, round=outcome.round, created=outcome.created,
                   recount=outcome.next_round is not None, next_round=outcome.next_round, message=message), \
        201 if outcome.created else 200
