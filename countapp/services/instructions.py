"""The written count instructions: the draft the manager completes, its missing items, issued
versions (kept for ever, with their PDF and SHA-256) and who has acknowledged them.

What the document says comes from the campaign itself (dates, settings, stock, teams) and from
the draft (``InstructionsDraft.data``), a JSON object with these keys, all optional:
``person_in_charge_title``, ``committee`` (names), ``centraliser``, ``count_start``,
``count_end``, ``freeze_from``, ``freeze_to`` (ISO date-times), ``categories`` (codes),
``auditors`` ([{kind, name, firm}]), ``last_receipt_document``, ``last_shipment_document``,
``texts`` ({language: {section key: text}}). A key never saved takes its default from the
campaign (stock categories, auditor and centraliser users, last documents in the movements).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import sqlalchemy as sa

import instructions as doc
from tickets.errors import Conflict, CountappError, Forbidden, N_, NotFound, Nn_

from .. import campaign_settings
from ..extensions import db
from ..models import (BookLine, Campaign, Category, InstructionsAck, InstructionsDraft, InstructionsVersion, Item,
                      Location, Movement, MovementKind, Owner, Role, Site, Team, User, Zone)
from . import audit
from . import campaigns as campaign_service

CATEGORY_ORDER = [c.value for c in Category]
NAME_MAX, DOCUMENT_MAX, CODE_MAX, TEXT_MAX = 200, 80, 80, 20000


# --- what the document says -------------------------------------------------------------------

def draft_row(campaign: Campaign) -> InstructionsDraft | None:
    return db.session.scalar(sa.select(InstructionsDraft).where(InstructionsDraft.campaign_id == campaign.id))


def stored_draft(campaign: Campaign) -> dict:
    row = draft_row(campaign)
    return dict(row.data or {}) if row is not None else {}


def people(role: Role) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.role == role, User.active).order_by(User.login)))


def suggestions(campaign: Campaign) -> dict:
    """Defaults for what the manager has not saved yet, found in the campaign's data."""
    categories = set(db.session.scalars(sa.select(Item.category).distinct().where(Item.campaign_id == campaign.id)))
    centralisers = people(Role.CENTRALISER)
    return {
        "centraliser": centralisers[0].display_name if centralisers else "",
        "categories": [c for c in CATEGORY_ORDER if Category(c) in categories],
        "auditors": [{"kind": "statutory_auditor", "name": u.display_name, "firm": ""} for u in people(Role.AUDITOR)],
        "last_receipt_document": _last_document(campaign, MovementKind.RECEIPT),
        "last_shipment_document": _last_document(campaign, MovementKind.ISSUE),
    }


def _last_document(campaign: Campaign, kind: MovementKind) -> str:
    """The document of the last movement of this kind dated on or before the count date."""
    return db.session.scalar(
        sa.select(Movement.document).where(Movement.campaign_id == campaign.id, Movement.kind == kind,
                                           Movement.document != "", Movement.date <= campaign.count_date)
        .order_by(Movement.date.desc(), Movement.id.desc()).limit(1)) or ""


def _places(campaign: Campaign) -> tuple[list[doc.Place], list[doc.Place]]:
    rows = db.session.execute(
        sa.select(Site.code, Site.name, Zone.code, Location.code, Location.added_by_hand)
        .join(Zone, Zone.id == Location.zone_id).join(Site, Site.id == Zone.site_id)
        .where(Location.campaign_id == campaign.id).order_by(Site.code, Zone.code, Location.code)).all()
    stock, by_hand = [], []
    for site_code, site_name, zone, location, hand in rows:
        (by_hand if hand else stock).append(doc.Place(site_name or site_code, zone, location))
    return stock, by_hand


def _teams(campaign: Campaign) -> list[doc.Team]:
    teams = db.session.scalars(sa.select(Team).where(Team.campaign_id == campaign.id).order_by(Team.number)
                               .options(sa.orm.selectinload(Team.members), sa.orm.selectinload(Team.zones),
                                        sa.orm.joinedload(Team.leader)))
    return [doc.Team(t.number, t.round, t.leader.display_name,
                     sorted((m.display_name for m in t.members if m.id != t.leader_id), key=str.lower),
                     sorted(z.code for z in t.zones), t.starts_at, t.ends_at) for t in teams]


def _holdings(campaign: Campaign, owner: Owner) -> list[doc.Holding]:
    rows = db.session.execute(
        sa.select(BookLine.holder, sa.func.count()).where(BookLine.campaign_id == campaign.id, BookLine.owner == owner)
        .group_by(BookLine.holder).order_by(BookLine.holder)).all()
    return [doc.Holding((party or "").strip(), count) for party, count in rows]


def _when(value) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def latest_version(campaign: Campaign) -> InstructionsVersion | None:
    return db.session.scalar(sa.select(InstructionsVersion).where(InstructionsVersion.campaign_id == campaign.id)
                             .order_by(InstructionsVersion.version.desc()).limit(1))


def build(campaign: Campaign, *, printed_on: date | None = None) -> doc.InstructionsData:
    """The current draft as the document's data (a draft: no issue date)."""
    draft, found = stored_draft(campaign), suggestions(campaign)
    pick = lambda key: draft[key] if key in draft else found[key]  # noqa: E731
    places, extra = _places(campaign)
    settings = campaign.settings or {}
    latest = latest_version(campaign)
    return doc.InstructionsData(
        campaign_code=campaign.code, fiscal_year=campaign.fiscal_year,
        company_name=campaign.company or campaign.name or campaign.code, language=campaign.language,
        person_in_charge=campaign.person_in_charge or None,
        person_in_charge_title=draft.get("person_in_charge_title") or None,
        committee=list(draft.get("committee") or []), centraliser=pick("centraliser") or None,
        count_date=campaign.count_date, closing_date=campaign.closing_date,
        count_dates=campaign_settings.count_dates(settings),
        count_start=_when(draft.get("count_start")), count_end=_when(draft.get("count_end")),
        freeze_from=_when(draft.get("freeze_from")), freeze_to=_when(draft.get("freeze_to")),
        places=places, extra_places=extra, categories=list(pick("categories")), teams=_teams(campaign),
        auditors=[doc.Auditor(a.get("kind", ""), a.get("name", ""), a.get("firm", "")) for a in pick("auditors")],
        third_party_goods=_holdings(campaign, Owner.THIRD_PARTY),
        goods_elsewhere=_holdings(campaign, Owner.AT_THIRD_PARTY),
        tolerances=settings.get("tolerance") or {},
        depreciation={**campaign_settings.DEFAULT_DEPRECIATION, **(settings.get("depreciation") or {})},
        valuation=campaign.valuation.value,
        last_receipt_document=draft.get("last_receipt_document") or found["last_receipt_document"] or None,
        last_shipment_document=draft.get("last_shipment_document") or found["last_shipment_document"] or None,
        overrides=dict((draft.get("texts") or {}).get(campaign.language) or {}),
        version=(latest.version + 1) if latest else 1, printed_on=printed_on or date.today())


def missing(campaign: Campaign) -> list[doc.Missing]:
    return doc.missing_items(build(campaign))


def pdf_bytes(data: doc.InstructionsData) -> bytes:
    # Loads reportlab: for a PDF only.
    from instructions.pdf import write_instructions_pdf

    out = io.BytesIO()
    write_instructions_pdf(data, out)
    return out.getvalue()


def draft_pdf(campaign: Campaign) -> bytes:
    """The current draft, marked as such on every page and opening with what is missing."""
    return pdf_bytes(build(campaign))


def changed_since(campaign: Campaign, version: InstructionsVersion | None) -> bool:
    """True when the draft says something the version did not (always True with no version)."""
    return version is None or doc.content(build(campaign)) != doc.content(version.data)


# --- editing the draft ------------------------------------------------------------------------

@dataclass
class Facts:
    """What the manager settles on the facts page (the rest comes from the campaign)."""

    person_in_charge: str = ""
    person_in_charge_title: str = ""
    committee: list[str] = field(default_factory=list)
    centraliser: str = ""
    count_start: datetime | None = None
    count_end: datetime | None = None
    freeze_from: datetime | None = None
    freeze_to: datetime | None = None
    categories: list[str] = field(default_factory=list)
    auditors: list[dict] = field(default_factory=list)  # {kind, name, firm}
    last_receipt_document: str = ""
    last_shipment_document: str = ""


def current_facts(campaign: Campaign) -> Facts:
    """The facts as the form should show them: saved values, else the suggestions."""
    data = build(campaign)
    return Facts(person_in_charge=campaign.person_in_charge or "",
                 person_in_charge_title=data.person_in_charge_title or "", committee=list(data.committee),
                 centraliser=data.centraliser or "", count_start=data.count_start, count_end=data.count_end,
                 freeze_from=data.freeze_from, freeze_to=data.freeze_to, categories=list(data.categories),
                 auditors=[a._asdict() for a in data.auditors],
                 last_receipt_document=data.last_receipt_document or "",
                 last_shipment_document=data.last_shipment_document or "")


def _text(value: str | None, limit: int, key: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise CountappError(N_("This text is too long (%(length)s characters, at most %(limit)s): %(value)s…"),
                            field=key, length=len(value), limit=limit, value=value[:30])
    return value


def _check_facts(facts: Facts) -> dict:
    """The draft keys for these facts, or the first error with its field."""
    if facts.count_start and facts.count_end and facts.count_end <= facts.count_start:
        raise CountappError(N_("The count must end after it starts."), field="count_end")
    if facts.freeze_from and facts.freeze_to and facts.freeze_to <= facts.freeze_from:
        raise CountappError(N_("The freeze of movements must end after it starts."), field="freeze_to")
    unknown = [c for c in facts.categories if c not in CATEGORY_ORDER]
    if unknown:
        raise CountappError(N_("Unknown stock category %(category)s."), field="categories", category=unknown[0])
    auditors = []
    for row in facts.auditors:
        name, firm = _text(row.get("name"), NAME_MAX, "auditors"), _text(row.get("firm"), NAME_MAX, "auditors")
        if not name and not firm:
            continue
        if not name:
            raise CountappError(N_("Give the name of each auditor (firm %(firm)s has none)."), field="auditors",
                                firm=firm)
        if row.get("kind") not in doc.AUDITOR_KINDS:
            raise CountappError(N_("Choose whether %(name)s is internal audit, chartered accountant or statutory "
                                   "auditor."), field="auditors", name=name)
        auditors.append({"kind": row["kind"], "name": name, "firm": firm})
    return {
        "person_in_charge_title": _text(facts.person_in_charge_title, NAME_MAX, "person_in_charge_title"),
        "committee": [_text(n, NAME_MAX, "committee") for n in facts.committee if (n or "").strip()],
        "centraliser": _text(facts.centraliser, NAME_MAX, "centraliser"),
        "count_start": _iso(facts.count_start), "count_end": _iso(facts.count_end),
        "freeze_from": _iso(facts.freeze_from), "freeze_to": _iso(facts.freeze_to),
        "categories": [c for c in CATEGORY_ORDER if c in facts.categories],
        "auditors": auditors,
        "last_receipt_document": _text(facts.last_receipt_document, DOCUMENT_MAX, "last_receipt_document"),
        "last_shipment_document": _text(facts.last_shipment_document, DOCUMENT_MAX, "last_shipment_document"),
    }


def _iso(value: datetime | None) -> str | None:
    return value.replace(second=0, microsecond=0).isoformat() if value else None


def _save_draft(campaign: Campaign, data: dict) -> None:
    row = draft_row(campaign)
    if row is None:
        row = InstructionsDraft(campaign_id=campaign.id, data={})
        db.session.add(row)
    row.data = data  # a new dict, so the JSON column sees the change
    row.updated_at = datetime.now(timezone.utc)


def save_facts(code: str, facts: Facts, *, by: User | None = None) -> None:
    """Save the facts of the draft and the campaign's person in charge; one transaction."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    person = _text(facts.person_in_charge, NAME_MAX, "person_in_charge")
    values = _check_facts(facts)
    before = stored_draft(campaign)
    before_person = campaign.person_in_charge
    after = {**before, **values}
    if after == before and person == before_person:
        return
    campaign.person_in_charge = person
    _save_draft(campaign, after)
    audit.record("instructions.facts", campaign=campaign, entity="instructions", entity_id=campaign.code, user=by,
                 before={"person_in_charge": before_person, **{k: before.get(k) for k in values}},
                 after={"person_in_charge": person, **values})
    db.session.commit()


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").strip().split("\n"))


def section_template(campaign: Campaign, key: str) -> str:
    """The section's text as the manager edits it: theirs if saved, else the default (placeholders unfilled)."""
    saved = ((stored_draft(campaign).get("texts") or {}).get(campaign.language) or {}).get(key)
    return saved if saved and saved.strip() else doc.default_text(key, campaign.language)


def is_default_text(campaign: Campaign, key: str) -> bool:
    saved = ((stored_draft(campaign).get("texts") or {}).get(campaign.language) or {}).get(key)
    return not (saved and saved.strip())


def save_texts(code: str, texts: dict[str, str], *, by: User | None = None) -> list[str]:
    """Save section texts in the campaign's language; a text equal to the default (or empty) goes
    back to the default. Returns the keys that changed."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    lang = campaign.language
    draft = stored_draft(campaign)
    all_texts = {k: dict(v) for k, v in (draft.get("texts") or {}).items()}
    mine = all_texts.get(lang, {})
    changed: dict[str, tuple] = {}
    for key, text in texts.items():
        if key not in doc.SECTION_KEYS:
            raise CountappError(N_("Unknown section %(key)s."), field="texts", key=key)
        text = _normal(text)
        if len(text) > TEXT_MAX:
            raise CountappError(N_("The text of section %(key)s is too long: at most %(limit)s characters."),
                                field=key, key=key, limit=TEXT_MAX)
        new = None if not text or text == _normal(doc.default_text(key, lang)) else text
        if mine.get(key) != new:
            changed[key] = (mine.get(key), new)
            if new is None:
                mine.pop(key, None)
            else:
                mine[key] = new
    if not changed:
        return []
    all_texts[lang] = mine
    _save_draft(campaign, {**draft, "texts": all_texts})
    audit.record("instructions.texts", campaign=campaign, entity="instructions", entity_id=campaign.code, user=by,
                 before={"language": lang, **{k: v[0] for k, v in changed.items()}},
                 after={"language": lang, **{k: v[1] for k, v in changed.items()}})
    db.session.commit()
    return sorted(changed, key=doc.SECTION_KEYS.index)


# --- places added by hand ---------------------------------------------------------------------

_REQUIRED = {"site": N_("Give the site of the place."), "zone": N_("Give the zone of the place."),
             "location": N_("Give the code of the place.")}


def _code(value: str, key: str) -> str:
    value = _text(value, CODE_MAX, key)
    if not value:
        raise CountappError(_REQUIRED[key], field=key)
    return value


def add_place(code: str, *, site: str, zone: str, location: str, by: User | None = None) -> Location:
    """A place that holds stock but is missing from the book stock (dock, yard, vehicle...)."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    site, zone, location = _code(site, "site"), _code(zone, "zone"), _code(location, "location")
    existing = db.session.scalar(sa.select(Location).where(Location.campaign_id == campaign.id,
                                                           Location.code == location))
    if existing is not None:
        raise Conflict(N_("Location %(location)s is already listed, in zone %(zone)s."), field="location",
                       location=location, zone=existing.zone.code)
    zone_row = db.session.scalar(sa.select(Zone).where(Zone.campaign_id == campaign.id, Zone.code == zone))
    if zone_row is None:
        site_row = db.session.scalar(sa.select(Site).where(Site.campaign_id == campaign.id,
                                                           sa.or_(Site.code == site, Site.name == site)))
        if site_row is None:
            site_row = Site(campaign_id=campaign.id, code=site, name="")
            db.session.add(site_row)
            db.session.flush()
        zone_row = Zone(campaign_id=campaign.id, site_id=site_row.id, code=zone)
        db.session.add(zone_row)
        db.session.flush()
    elif site not in (zone_row.site.code, zone_row.site.name):
        raise CountappError(N_("Zone %(zone)s is on site %(site)s: give that site or another zone."), field="site",
                            zone=zone, site=zone_row.site.name or zone_row.site.code)
    place = Location(campaign_id=campaign.id, zone_id=zone_row.id, code=location, added_by_hand=True)
    db.session.add(place)
    db.session.flush()
    audit.record("instructions.place_add", campaign=campaign, entity="location", entity_id=location, user=by,
                 after={"site": zone_row.site.code, "zone": zone, "location": location})
    db.session.commit()
    return place


def _references(table_name: str, row_id: int, ignore: tuple[str, ...] = ()) -> int:
    """How many rows of any table point at this row (every foreign key the schema knows)."""
    total = 0
    for table in db.metadata.sorted_tables:
        if table.name in ignore:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name:
                total += db.session.scalar(sa.select(sa.func.count()).select_from(table).where(fk.parent == row_id))
    return total


def hand_places(campaign: Campaign) -> list[Location]:
    return list(db.session.scalars(
        sa.select(Location).where(Location.campaign_id == campaign.id, Location.added_by_hand)
        .join(Zone, Zone.id == Location.zone_id).order_by(Zone.code, Location.code)
        .options(sa.orm.joinedload(Location.zone).joinedload(Zone.site))))


def remove_place(code: str, location: str, *, by: User | None = None) -> None:
    """Take back a place added by hand, as long as nothing (stock, ticket, count...) refers to it."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    place = db.session.scalar(sa.select(Location).where(Location.campaign_id == campaign.id,
                                                        Location.code == location))
    if place is None:
        raise NotFound(N_("Unknown location %(location)s."), field="location", location=location)
    if not place.added_by_hand:
        raise CountappError(N_("Location %(location)s comes from the book stock: only places added by hand can be "
                               "removed."), field="location", location=location)
    if _references("location", place.id):
        raise Conflict(N_("Location %(location)s is already used (stock, tickets or counts): it stays listed."),
                       field="location", location=location)
    zone = place.zone
    zone_code = zone.code
    db.session.delete(place)
    db.session.flush()
    # A zone or site created for this place alone goes with it.
    if not _references("zone", zone.id):
        site = zone.site
        db.session.delete(zone)
        db.session.flush()
        if not _references("site", site.id):
            db.session.delete(site)
    audit.record("instructions.place_remove", campaign=campaign, entity="location", entity_id=location, user=by,
                 before={"zone": zone_code, "location": location})
    db.session.commit()


# --- issued versions --------------------------------------------------------------------------

def versions(campaign: Campaign) -> list[InstructionsVersion]:
    return list(db.session.scalars(sa.select(InstructionsVersion).where(InstructionsVersion.campaign_id == campaign.id)
                                   .order_by(InstructionsVersion.version.desc())
                                   .options(sa.orm.joinedload(InstructionsVersion.issued_by))))


def get_version(campaign: Campaign, number: int) -> InstructionsVersion:
    found = db.session.scalar(sa.select(InstructionsVersion).where(InstructionsVersion.campaign_id == campaign.id,
                                                                   InstructionsVersion.version == number))
    if found is None:
        raise NotFound(N_("Version %(version)s of the instructions of %(code)s has not been issued."),
                       field="version", version=number, code=campaign.code)
    return found


def issue(code: str, *, by: User | None = None, allow_missing: bool = False,
          today: date | None = None) -> InstructionsVersion:
    """Issue the draft as the next numbered version; the previous versions stay as they were."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    if db.engine.dialect.name == "postgresql":  # two managers issuing at once get two numbers, in turn
        db.session.execute(sa.select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    data = build(campaign)
    gaps = doc.missing_items(data)
    if gaps and not allow_missing:
        raise CountappError(Nn_("The instructions cannot be issued yet: %(num)s point is still missing. Settle it "
                                "first, or confirm that you issue anyway.",
                                "The instructions cannot be issued yet: %(num)s points are still missing. Settle "
                                "them first, or confirm that you issue anyway."), field="missing", num=len(gaps))
    latest = latest_version(campaign)
    if latest is not None and doc.content(data) == doc.content(latest.data):
        raise Conflict(N_("Nothing has changed since version %(version)s: there is nothing new to issue."),
                       field="version", version=latest.version)
    data.version = latest.version + 1 if latest else 1
    data.issued_on, data.printed_on = today or date.today(), None
    pdf = pdf_bytes(data)
    version = InstructionsVersion(campaign_id=campaign.id, version=data.version, data=doc.to_dict(data), pdf=pdf,
                                  sha256=hashlib.sha256(pdf).hexdigest(), issued_by_id=by.id if by else None)
    db.session.add(version)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # someone else issued this number in the meantime
        db.session.rollback()
        raise Conflict(N_("Version %(version)s was issued by someone else at the same moment: look at it before "
                          "issuing again."), field="version", version=data.version) from None
    audit.record("instructions.issue", campaign=campaign, entity="instructions", entity_id=data.version, user=by,
                 after={"version": data.version, "sha256": version.sha256, "issued_on": data.issued_on,
                        "missing": [g.key for g in gaps]})
    db.session.commit()
    return version


# --- acknowledgements -------------------------------------------------------------------------

def readers(campaign: Campaign) -> list[User]:
    """Who must acknowledge: the leaders of the campaign's teams, then the auditors."""
    leaders = db.session.scalars(sa.select(User).join(Team, Team.leader_id == User.id)
                                 .where(Team.campaign_id == campaign.id).order_by(Team.number)).all()
    seen, out = set(), []
    for user in [*leaders, *people(Role.AUDITOR)]:
        if user.id not in seen:
            seen.add(user.id)
            out.append(user)
    return out


def must_acknowledge(campaign: Campaign, user: User) -> bool:
    return any(u.id == user.id for u in readers(campaign))


def acks(version: InstructionsVersion) -> list[InstructionsAck]:
    return list(db.session.scalars(sa.select(InstructionsAck).where(InstructionsAck.version_id == version.id)
                                   .order_by(InstructionsAck.acknowledged_at, InstructionsAck.id)
                                   .options(sa.orm.joinedload(InstructionsAck.user))))


@dataclass
class AckStatus:
    version: InstructionsVersion
    done: list[InstructionsAck]
    pending: list[User]


def ack_status(campaign: Campaign, version: InstructionsVersion | None = None) -> AckStatus | None:
    """Who has acknowledged the version (default: the latest) and who has not yet."""
    version = version or latest_version(campaign)
    if version is None:
        return None
    done = acks(version)
    acked = {a.user_id for a in done}
    return AckStatus(version, done, [u for u in readers(campaign) if u.id not in acked])


def acknowledge(code: str, user: User, *, version: int | None = None) -> tuple[InstructionsAck, bool]:
    """Record that ``user`` has read the latest issued version; (ack, True) when new, (ack, False) if done before."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    latest = latest_version(campaign)
    if latest is None:
        raise CountappError(N_("The instructions of %(code)s have not been issued yet."), field="version",
                            code=campaign.code)
    if version is not None and version != latest.version:
        raise Conflict(N_("Version %(version)s has been replaced by version %(latest)s: read and acknowledge version "
                          "%(latest)s."), field="version", version=version, latest=latest.version)
    if not must_acknowledge(campaign, user):
        raise Forbidden(N_("Only the team leaders and the auditors acknowledge the instructions."), field="user")
    existing = db.session.scalar(sa.select(InstructionsAck).where(InstructionsAck.version_id == latest.id,
                                                                  InstructionsAck.user_id == user.id))
    if existing is not None:
        return existing, False
    ack = InstructionsAck(version_id=latest.id, user_id=user.id)
    db.session.add(ack)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # the same person, twice at once (a double tap): the first one counts
        db.session.rollback()
        return db.session.scalar(sa.select(InstructionsAck).where(InstructionsAck.version_id == latest.id,
                                                                  InstructionsAck.user_id == user.id)), False
    audit.record("instructions.acknowledge", campaign=campaign, entity="instructions", entity_id=latest.version,
                 user=user, after={"version": latest.version, "login": user.login, "sha256": latest.sha256})
    db.session.commit()
    return ack, True
