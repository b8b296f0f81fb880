"""The JSON API for tablets and integrations (/api/v1) and its OpenAPI document.

Two ways in: the tablet pages' log-in session (writes carry the page's CSRF token in the
``X-CSRFToken`` header) and personal API tokens (``Authorization: Bearer ...``), see web.security.
Errors are ``{"error": {"message", "field"}}`` with a 4xx status (web.errors); what a caller may see
of a ticket is decided in services.count_views (counting teams are blind).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tickets.errors import CountappError, Forbidden, N_, NotFound, Unavailable

from ... import count_writer
from ...extensions import db
from ...models import CountSource, Role, SessionUser
from ...services import campaigns as campaign_service
from ...services import count_views, counting, jobs, progress as progress_service
from ...services.count_batch import CountRequest
from ...services import tickets as ticket_service
from ...services import users as user_service
from ..security import ALL_ROLES, requires
from .openapi import document

bp = Blueprint("api", __name__)

STAFF = count_views.STAFF_ROLES
PROGRESS_READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR, Role.LEADER)
MAX_PAGE = 5000


@bp.before_request
def refuse_nul_characters():
    """PostgreSQL text cannot hold NUL: an address or query carrying one is bad input, not a server error."""
    values = [*(request.view_args or {}).values(), *request.args.values()]
    if any("\x00" in str(v) for v in values):
        raise CountappError(N_("The address contains a character that is not allowed."), field=None)


def _body() -> dict:
    try:
        data = request.get_json(silent=True)
    except RecursionError:   # nested thousands deep: bad input, not a server error
        data = None
    if not isinstance(data, dict):
        raise CountappError(N_("Send a JSON object (Content-Type: application/json)."), field=None)
    return data


def _int_arg(name: str, default: int, *, low: int = 0, high: int = MAX_PAGE) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise CountappError(N_("%(name)s must be a whole number."), field=name, name=name) from None
    if not low <= value <= high:
        raise CountappError(N_("%(name)s must be between %(low)s and %(high)s."), field=name, name=name, low=low,
                            high=high)
    return value


def _source() -> CountSource:
    return CountSource.API if request.headers.get("Authorization", "").startswith("Bearer ") else CountSource.TABLET


def _team_viewer(code: str):
    campaign = campaign_service.get(code)
    who = count_views.viewer(campaign, current_user)
    return campaign, who


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/v1/me")
@requires(*ALL_ROLES)
def me():
    """Who is calling, and for a counting team, its campaign, number, round and zones."""
    data = {"login": current_user.login, "name": current_user.display_name, "role": current_user.role.value,
            "team": None}
    if current_user.role in count_views.TEAM_ROLES:
        for campaign in count_views.campaigns_of_member(current_user):
            team = counting.team_of(current_user, campaign)
            data["team"] = {"campaign": campaign.code, "number": team.number, "round": team.round,
                            "zones": sorted(z.code for z in team.zones)}
            break
    return jsonify(data)


@bp.get("/v1/tickets/<path:number>")
@requires(*ALL_ROLES)
def ticket(number):
    campaign = count_views.resolve_campaign(current_user, request.args.get("campaign"), number)
    who = count_views.viewer(campaign, current_user)
    found, round_ = count_views.visible_ticket(campaign, number, who)
    return jsonify(count_views.ticket_view(campaign, found, who, round_))


@bp.post("/v1/counts")
@requires(*ALL_ROLES)
def add_count():
    body = _body()
    code = body.get("campaign")
    if not (isinstance(code, str) and code.strip()):
        code = count_views.resolve_campaign(current_user, code, body.get("ticket")).code
    round_ = body.get("round")
    if round_ in (None, "") and current_user.role in count_views.TEAM_ROLES:
        team = counting.team_of(current_user, campaign_service.get(code))
        round_ = team.round if team is not None else None
    data = counting.CountInput(
        ticket=body.get("ticket"), round=round_, quantity=body.get("quantity"), state=body.get("state") or "good",
        method=body.get("method") or "counted", packaging=body.get("packaging"), counted_at=body.get("counted_at"),
        client_id=body.get("client_id"), reference=body.get("reference"), location=body.get("location"),
        lot=body.get("lot"))
    user = current_user._get_current_object()
    writer = current_app.config.get("COUNTAPP_COUNT_WRITER")
    if writer and isinstance(user, SessionUser):
        # `countapp serve`: the count writer writes it with the other counts that came in meanwhile.
        try:
            outcome = count_writer.submit(writer, CountRequest(code.strip(), data, user, _source()))
        except count_writer.WriterLost:
            raise Unavailable(N_("The count could not be confirmed: it is kept on the tablet and will be sent "
                                 "again.")) from None
        if outcome is not None:
            if outcome.error is not None:
                raise outcome.error
            if outcome.view is None:
                raise RuntimeError("the count writer could not write this count: see its log")
            return jsonify(count=outcome.view, replayed=not outcome.created), 201 if outcome.created else 200
    # The answer is built from the objects just written: no need to read them back after the commit.
    db.session().expire_on_commit = False
    result = counting.submit_count(code.strip(), data, user=user, source=_source())
    return jsonify(count=count_views.count_view(result.count, result.campaign), replayed=not result.created), \
        201 if result.created else 200


@bp.post("/v1/corrections")
@requires(Role.COUNTER, Role.LEADER, Role.MANAGER, Role.CENTRALISER)
def add_correction():
    body = _body()
    campaign = count_views.resolve_campaign(current_user, body.get("campaign"), body.get("ticket"))
    correction = counting.correct_count(campaign.code, body.get("ticket"), body.get("round"),
                                        quantity=body.get("quantity"), state=body.get("state"),
                                        method=body.get("method"), reason=body.get("reason"), user=current_user)
    return jsonify(count=count_views.count_view(correction, campaign)), 201


@bp.get("/v1/campaigns/<code>/progress")
@requires(*PROGRESS_READERS)
def progress(code):
    campaign = campaign_service.get(code)
    result = progress_service.compute(campaign, remaining_limit=_int_arg("remaining", 300))
    zone_dates = {zone: day for _, zone, day in campaign_service.count_dates_by_zone(campaign)}
    return jsonify(result.as_dict(full=current_user.role in STAFF, count_date=campaign.count_date,
                                  zone_dates=zone_dates))


@bp.get("/v1/campaigns/<code>/tickets")
@requires(*ALL_ROLES)
def tickets(code):
    """Counting teams: the tickets issued to the team for its round (blind). Staff: every ticket, by page."""
    campaign, who = _team_viewer(code)
    if not who.staff:
        if who.team is None:
            raise Forbidden(N_("You are not in a counting team of campaign %(code)s."), field="campaign",
                            code=campaign.code)
        return jsonify(team=who.team.number, round=who.team.round, tickets=count_views.team_tickets(campaign, who.team))
    # ``after + 1`` is compared with an INTEGER column: stay below its top (PostgreSQL refuses 2^31).
    limit, after = _int_arg("limit", 1000), _int_arg("after", 0, high=2_147_483_646)
    rows = []
    for row in ticket_service.rows(campaign, first=after + 1):
        if len(rows) >= limit:
            break
        rows.append(row)
    return jsonify(tickets=rows)


@bp.get("/v1/campaigns/<code>/counts")
@requires(*ALL_ROLES)
def counts(code):
    """Counting teams: the team's own latest entries of its round. Staff: every entry, by page."""
    campaign, who = _team_viewer(code)
    limit = _int_arg("limit", 30 if not who.staff else 1000)
    if not who.staff:
        if who.team is None:
            raise Forbidden(N_("You are not in a counting team of campaign %(code)s."), field="campaign",
                            code=campaign.code)
        return jsonify(counts=count_views.team_counts(campaign, who.team, limit=min(limit, 200)))
    return jsonify(counts=count_views.all_counts(campaign, limit=limit,
                                                 offset=_int_arg("offset", 0, high=2_147_483_647)))


def _query() -> str:
    return (request.args.get("q") or "").strip()[:80]


@bp.get("/v1/campaigns/<code>/items")
@requires(*ALL_ROLES)
def items(code):
    campaign = campaign_service.get(code)
    return jsonify(items=count_views.search_items(campaign, _query(), limit=_int_arg("limit", 20, high=200)))


@bp.get("/v1/campaigns/<code>/locations")
@requires(*ALL_ROLES)
def locations(code):
    campaign, who = _team_viewer(code)
    return jsonify(locations=count_views.search_locations(campaign, _query(), team=who.team,
                                                          limit=_int_arg("limit", 20, high=200)))


@bp.get("/v1/campaigns/<code>/lots")
@requires(*ALL_ROLES)
def lots(code):
    campaign = campaign_service.get(code)
    reference = (request.args.get("reference") or "").strip()[:120]
    location = (request.args.get("location") or "").strip()[:120]
    return jsonify(lots=count_views.search_lots(campaign, reference, location) if reference else [])


@bp.post("/v1/tokens")
@requires(*ALL_ROLES)
def new_token():
    """A new personal API token for the caller (the previous one stops working); shown once."""
    token = user_service.new_api_token(current_user)
    return jsonify(token=token, message=_("Keep this token secret: it acts as you. It is shown only once.")), 201


new_token._countapp_auditor_may_post = True  # an auditor's own token, for reading through the API


# --- imports for ERPs, and background jobs --------------------------------------------------------

IMPORTERS = {"stock": (Role.MANAGER,), "movements": (Role.MANAGER,), "opening": (Role.MANAGER,),
             "counts": (Role.MANAGER, Role.CENTRALISER)}
JOB_READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)


def job_view(status: dict) -> dict:
    """A job as the API shows it: state queued|running|done|failed, figures, result or error."""
    error = status.get("error")
    return {"id": status["id"], "kind": status["kind"], "campaign": status["campaign"], "state": status["state"],
            "done": status["done"], "total": status["total"], "message": status["message"],
            "result": status["result"],
            "error": None if not error else {"message": error.get("text") or error.get("message"),
                                             "field": error.get("field"), "errors": error.get("errors") or []},
            "created": status["created"], "started": status["started"], "finished": status["finished"]}


@bp.post("/v1/campaigns/<code>/imports/<kind>")
@requires(Role.MANAGER, Role.CENTRALISER)
def start_import(code, kind):
    """Queue an import of the multipart field ``file``; 202 with the job to follow at /api/v1/jobs/<id>."""
    from ...services import imports as import_service

    campaign = campaign_service.get(code)
    import_service.check_can_start(kind, campaign)
    if current_user.role not in IMPORTERS[kind]:
        raise Forbidden(N_("Your role may not import %(kind)s files."), field="kind", kind=kind)
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise CountappError(N_("Send the file to import in the multipart field \"file\"."), field="file")
    upload = import_service.save_upload(sent.stream, sent.filename, local_copy=False)   # the worker fetches it
    job_id = import_service.start_import_job(kind, campaign, upload, by=current_user,
                                             as_of=request.form.get("as_of") or None)
    status = jobs.status(job_id)
    response = jsonify(job={"id": job_id, "state": status["state"]})
    response.status_code = 202
    response.headers["Location"] = url_for(".job", id=job_id)
    return response


@bp.get("/v1/jobs/<id>")
@requires(*ALL_ROLES)
def job(id):  # noqa: A002 - the OpenAPI document's name for it
    job_id = id
    """Where a job stands; its requester and the staff of its campaign may follow it."""
    status = jobs.status(job_id)
    if status is None:
        raise NotFound(N_("Unknown job %(job)s."), field="job", job=job_id[:40])
    if current_user.role not in JOB_READERS and not jobs.requested_by(job_id, current_user):
        raise Forbidden(N_("You may not follow this job."), field="job")
    return jsonify(job_view(status))
