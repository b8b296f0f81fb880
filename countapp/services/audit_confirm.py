"""Own goods held by third parties: confirmation letters per holder and the answers received.

Book lines owned by us but held elsewhere (``at_third_party``) are not counted on site; their
holders confirm them in writing. Letters are produced on demand in the campaign's language; each
answer is appended (the newest per line is the one that counts) and compared with the book.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

from tickets.errors import CountappError, N_, NotFound
from tickets.quantities import parse_quantity

from ..extensions import db
from ..models import BookLine, Campaign, Item, Location, Owner, User
from ..models.audit_work import AuditConfirmation
from . import audit
from . import campaigns as campaign_service


@dataclass
class HeldLine:
    line: BookLine
    answer: AuditConfirmation | None
    answers: int

    @property
    def difference(self) -> Decimal | None:
        """Confirmed minus book (positive: the holder has more than our books say)."""
        return None if self.answer is None else self.answer.confirmed_qty - self.line.book_qty


@dataclass
class Holder:
    name: str                       # as written in the book stock ("" when the book names nobody)
    lines: list[HeldLine] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(1 for held in self.lines if held.answer is not None)

    @property
    def with_difference(self) -> int:
        return sum(1 for held in self.lines if held.difference not in (None, Decimal(0)))


def holders(campaign: Campaign) -> list[Holder]:
    """Every holder of our goods, with its lines and the newest answer for each."""
    lines = db.session.scalars(
        sa.select(BookLine).join(Item, Item.id == BookLine.item_id).join(Location, Location.id == BookLine.location_id)
        .where(BookLine.campaign_id == campaign.id, BookLine.owner == Owner.AT_THIRD_PARTY)
        .order_by(BookLine.holder, Item.reference, Location.code, BookLine.lot)
        .options(sa.orm.selectinload(BookLine.item), sa.orm.selectinload(BookLine.location))).all()
    answers: dict[int, list[AuditConfirmation]] = {}
    for answer in db.session.scalars(sa.select(AuditConfirmation).where(AuditConfirmation.campaign_id == campaign.id)
                                     .order_by(AuditConfirmation.id.desc())):
        answers.setdefault(answer.book_line_id, []).append(answer)
    grouped: dict[str, Holder] = {}
    for line in lines:
        name = (line.holder or "").strip()
        given = answers.get(line.id, [])
        grouped.setdefault(name, Holder(name)).lines.append(HeldLine(line, given[0] if given else None, len(given)))
    return list(grouped.values())


def letters_pdf(campaign: Campaign, holder: str | None = None, *, reply_to: str = "") -> bytes:
    """The confirmation requests as one PDF: every holder's letter, or only ``holder``'s."""
    # Loads reportlab: for the letters only.
    from reports.confirmation_pdf import Letter, LetterLine, write_letters

    chosen = [h for h in holders(campaign) if holder is None or h.name == holder.strip()]
    if not chosen:
        raise NotFound(N_("No goods of campaign %(code)s are held by %(holder)s."), field="holder", code=campaign.code,
                       holder=holder or "—")
    company = campaign.company or campaign.name or campaign.code
    letters = [Letter(holder=h.name, company=company, campaign_code=campaign.code, count_date=campaign.count_date,
                      language=campaign.language, reply_to=reply_to, issued_on=date.today(),
                      lines=[LetterLine(reference=held.line.item.reference, designation=held.line.item.designation,
                                        location=held.line.location.code, lot=held.line.lot, unit=held.line.item.unit,
                                        book_qty=held.line.book_qty) for held in h.lines])
               for h in chosen]
    stream = io.BytesIO()
    write_letters(letters, stream)
    return stream.getvalue()


def record_answer(code: str, book_line_id: int, *, confirmed_qty, answered_on: date, note: str = "",
                  by: User) -> AuditConfirmation:
    """A holder's answer for one line: the quantity it confirms and the date of its letter."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    line = db.session.get(BookLine, book_line_id)
    if line is None or line.campaign_id != campaign.id or line.owner != Owner.AT_THIRD_PARTY:
        raise NotFound(N_("This line is not one of our goods held by a third party in campaign %(code)s."),
                       field="line", code=code)
    quantity = parse_quantity(confirmed_qty, unit=line.item.unit, field="confirmed_qty")
    if not isinstance(answered_on, date):
        raise CountappError(N_("Give the date of the holder's answer."), field="answered_on")
    if answered_on > date.today():
        raise CountappError(N_("The answer's date %(date)s is in the future."), field="answered_on",
                            date=answered_on.isoformat())
    note = (note or "").strip()[:2000]
    answer = AuditConfirmation(campaign_id=campaign.id, book_line_id=line.id, holder=line.holder or "",
                               confirmed_qty=quantity, answered_on=answered_on, note=note, recorded_by_id=by.id,
                               recorded_at=datetime.now(timezone.utc))
    db.session.add(answer)
    audit.record("audit.confirmation", campaign=campaign, entity="book_line",
                 entity_id=f"{line.item.reference}|{line.location.code}|{line.lot}", user=by,
                 after={"holder": line.holder, "book_qty": line.book_qty, "confirmed_qty": quantity,
                        "answered_on": answered_on, "note": note})
    db.session.commit()
    return answer
