"""The written count instructions: edit, check, print, issue, acknowledge."""
from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

import instructions as doc

from ...models import Role
from ...services import campaigns as campaign_service
from ...services import instructions as service
from ..security import ALL_ROLES, STAFF, requires
from .forms import EMPTY_AUDITOR_ROWS, AckForm, FactsForm, IssueForm, PlaceForm, TextsForm

bp = Blueprint("instructions", __name__)
ACKNOWLEDGING = (Role.LEADER, Role.COUNTER, Role.AUDITOR)  # a team's leader may have the counter role


def _lang() -> str:
    return "fr" if str(get_locale()).startswith("fr") else "en"


def _invalid(form) -> None:
    flash(_("Some values are not valid: see the fields marked in red."), "error")


def auditor_may_post(view):
    """Let auditors post to this view although they change nothing else (see security.guard)."""
    view._countapp_auditor_may_post = True
    return view


@bp.get("/<code>/instructions")
@requires(*ALL_ROLES)
def index(code):
    campaign = campaign_service.get(code)
    staff = current_user.role in STAFF
    all_versions = service.versions(campaign)
    latest = all_versions[0] if all_versions else None
    status = service.ack_status(campaign, latest)
    missing, data, changed = [], None, None
    if staff:
        data = service.build(campaign)
        missing = [doc.render_missing(m, _lang()) for m in doc.missing_items(data)]
        changed = latest is None or doc.content(data) != doc.content(latest.data)
    mine = None
    if latest is not None:
        mine = next((a for a in status.done if a.user_id == current_user.id), None)
    ack_form = AckForm(version=str(latest.version) if latest else "")
    return render_template(
        "instructions/index.html", campaign=campaign, staff=staff, data=data, missing=missing, changed=changed,
        versions=all_versions, latest=latest, status=status, my_ack=mine, ack_form=ack_form,
        must_ack=latest is not None and service.must_acknowledge(campaign, current_user),
        issue_form=IssueForm(), can_edit=current_user.role == Role.MANAGER,
        acks_by_version={v.id: service.acks(v) for v in all_versions[1:]})


# --- facts --------------------------------------------------------------------------------------

def _fill_facts(form: FactsForm, facts: service.Facts) -> None:
    for name in ("person_in_charge", "person_in_charge_title", "centraliser", "count_start", "count_end",
                 "freeze_from", "freeze_to", "categories", "last_receipt_document", "last_shipment_document"):
        getattr(form, name).data = getattr(facts, name)
    form.committee.data = "\n".join(facts.committee)
    while form.auditors.entries:
        form.auditors.pop_entry()
    for row in facts.auditors:
        form.auditors.append_entry(row)
    for _row in range(EMPTY_AUDITOR_ROWS):   # not `_`: that is gettext here
        form.auditors.append_entry({"kind": "statutory_auditor", "name": "", "firm": ""})


def _facts_page(campaign, form: FactsForm):
    return render_template("instructions/facts.html", campaign=campaign, form=form,
                           suggestions=service.suggestions(campaign), can_edit=current_user.role == Role.MANAGER,
                           centralisers=[u.display_name for u in service.people(Role.CENTRALISER)])


@bp.get("/<code>/instructions/facts")
@requires(*STAFF)
def facts(code):
    campaign = campaign_service.get(code)
    form = FactsForm()
    _fill_facts(form, service.current_facts(campaign))
    return _facts_page(campaign, form)


@bp.post("/<code>/instructions/facts")
@requires(Role.MANAGER)
def facts_save(code):
    campaign = campaign_service.get(code)
    form = FactsForm()
    if not form.validate_on_submit():
        _invalid(form)
        return _facts_page(campaign, form), 400
    values = service.Facts(
        person_in_charge=form.person_in_charge.data or "",
        person_in_charge_title=form.person_in_charge_title.data or "",
        committee=(form.committee.data or "").splitlines(), centraliser=form.centraliser.data or "",
        count_start=form.count_start.data, count_end=form.count_end.data, freeze_from=form.freeze_from.data,
        freeze_to=form.freeze_to.data, categories=list(form.categories.data or []),
        auditors=[{"kind": row.form.kind.data, "name": row.form.name.data or "", "firm": row.form.firm.data or ""}
                  for row in form.auditors],
        last_receipt_document=form.last_receipt_document.data or "",
        last_shipment_document=form.last_shipment_document.data or "")
    service.save_facts(code, values, by=current_user)
    flash(_("The instructions' facts are saved."), "success")
    return redirect(url_for(".index", code=code))


# --- section texts ------------------------------------------------------------------------------

def _texts_page(campaign, form: TextsForm):
    data = service.build(campaign)
    sections = [{"key": k, "title": doc.section_title(k, campaign.language), "field": getattr(form, k),
                 "reset": getattr(form, f"reset_{k}"), "is_default": service.is_default_text(campaign, k)}
                for k in doc.SECTION_KEYS]
    return render_template("instructions/texts.html", campaign=campaign, form=form, sections=sections,
                           placeholders=sorted(doc.placeholders(data).items()),
                           can_edit=current_user.role == Role.MANAGER)


@bp.get("/<code>/instructions/texts")
@requires(*STAFF)
def texts(code):
    campaign = campaign_service.get(code)
    form = TextsForm()
    for key in doc.SECTION_KEYS:
        getattr(form, key).data = service.section_template(campaign, key)
    return _texts_page(campaign, form)


@bp.post("/<code>/instructions/texts")
@requires(Role.MANAGER)
def texts_save(code):
    campaign = campaign_service.get(code)
    form = TextsForm()
    if not form.validate_on_submit():
        _invalid(form)
        return _texts_page(campaign, form), 400
    given = {k: "" if getattr(form, f"reset_{k}").data else (getattr(form, k).data or "") for k in doc.SECTION_KEYS}
    changed = service.save_texts(code, given, by=current_user)
    if changed:
        flash(_("Texts saved: %(sections)s.", sections=", ".join(
            doc.section_title(k, campaign.language) for k in changed)), "success")
    else:
        flash(_("No text has changed."), "info")
    return redirect(url_for(".texts", code=code))


# --- places -------------------------------------------------------------------------------------

def _places_page(campaign, form: PlaceForm):
    data = service.build(campaign)
    zones: dict[tuple[str, str], dict] = {}
    for place, by_hand in data.all_places():
        row = zones.setdefault((place.site, place.zone), {"site": place.site, "zone": place.zone, "stock": 0,
                                                          "by_hand": 0, "teams": {1: [], 2: []}})
        row["by_hand" if by_hand else "stock"] += 1
    for team in data.teams:
        for row in zones.values():
            if row["zone"] in team.zones and team.round in (1, 2):
                row["teams"][team.round].append(team.number)
    return render_template("instructions/places.html", campaign=campaign, form=form,
                           zones=sorted(zones.values(), key=lambda r: (r["site"], r["zone"])),
                           hand=service.hand_places(campaign), can_edit=current_user.role == Role.MANAGER)


@bp.get("/<code>/instructions/places")
@requires(*STAFF)
def places(code):
    campaign = campaign_service.get(code)
    return _places_page(campaign, PlaceForm())


@bp.post("/<code>/instructions/places")
@requires(Role.MANAGER)
def place_add(code):
    campaign = campaign_service.get(code)
    form = PlaceForm()
    if not form.validate_on_submit():
        _invalid(form)
        return _places_page(campaign, form), 400
    service.add_place(code, site=form.site.data, zone=form.zone.data, location=form.location.data, by=current_user)
    flash(_("Place %(place)s added to zone %(zone)s.", place=form.location.data.strip(), zone=form.zone.data.strip()),
          "success")
    return redirect(url_for(".places", code=code))


@bp.post("/<code>/instructions/places/<path:location>/remove")
@requires(Role.MANAGER)
def place_remove(code, location):
    service.remove_place(code, location, by=current_user)
    flash(_("Place %(place)s removed from the list.", place=location), "success")
    return redirect(url_for(".places", code=code))


# --- documents ----------------------------------------------------------------------------------

def _pdf(data: bytes, name: str, sha256: str | None = None):
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)
    if sha256:
        response.headers["X-Content-SHA256"] = sha256
        response.set_etag(sha256)
    return response


@bp.get("/<code>/instructions/draft.pdf")
@requires(*STAFF)
def draft_pdf(code):
    campaign = campaign_service.get(code)
    return _pdf(service.draft_pdf(campaign), f"instructions-{campaign.code}-draft-{date.today().isoformat()}.pdf")


@bp.get("/<code>/instructions/v<int:number>.pdf")
@requires(*ALL_ROLES)
def version_pdf(code, number):
    campaign = campaign_service.get(code)
    version = service.get_version(campaign, number)
    return _pdf(version.pdf, f"instructions-{campaign.code}-v{version.version}.pdf", version.sha256)


@bp.post("/<code>/instructions/issue")
@requires(Role.MANAGER)
def issue(code):
    form = IssueForm()
    form.validate_on_submit()
    version = service.issue(code, by=current_user, allow_missing=bool(form.allow_missing.data))
    flash(_("Version %(version)s of the instructions is issued. Team leaders and auditors can now acknowledge it.",
            version=version.version), "success")
    return redirect(url_for(".index", code=code))


@bp.post("/<code>/instructions/acknowledge")
@auditor_may_post
@requires(*ACKNOWLEDGING)
def acknowledge(code):
    form = AckForm()
    number = int(form.version.data) if (form.version.data or "").isdigit() else None
    if not form.validate_on_submit() or number is None:
        flash(_("Acknowledge the version shown on the page."), "error")
        return redirect(url_for(".index", code=code))
    ack, new = service.acknowledge(code, current_user, version=number)
    if new:
        flash(_("You have acknowledged version %(version)s of the instructions.", version=number), "success")
    else:
        flash(_("You had already acknowledged version %(version)s.", version=number), "info")
    return redirect(url_for(".index", code=code))
