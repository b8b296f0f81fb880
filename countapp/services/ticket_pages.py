"""One page of a campaign's tickets in number order, for the pages that list them (tickets, centralisation).

The page's tickets are chosen on the ticket table alone, in number order, then their details joined: the
planner never joins the whole campaign before cutting a page. Pages are keyed by ticket number: ``after``
the last number shown (next page) or ``before`` the first (previous page).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import Ticket


@dataclass
class Page:
    rows: list[dict]
    total: int
    previous: int | None        # ``before`` for the previous page, or None on the first
    next: int | None            # ``after`` for the next page, or None on the last


def ticket_page(where: list, details: Callable[[sa.Subquery], sa.Select], rows_of: Callable[[list], list[dict]], *,
                after: int | None, before: int | None, size: int) -> Page:
    """The page of tickets meeting ``where``: ``details(keys)`` selects what the page shows of the tickets
    whose ids are in the subquery ``keys`` (the first selected column the ticket number), ``rows_of`` makes
    the page's rows (dicts with a ``sequence``) of the rows found, in number order."""
    keys = sa.select(Ticket.id).where(*where)
    if before is not None:
        keys = keys.where(Ticket.sequence < before).order_by(Ticket.sequence.desc())
    else:
        if after is not None:
            keys = keys.where(Ticket.sequence > after)
        keys = keys.order_by(Ticket.sequence)
    keys = keys.limit(size + 1).subquery()
    query = details(keys).order_by(Ticket.sequence.desc() if before is not None else Ticket.sequence)
    found = db.session.execute(query).all()
    more = len(found) > size
    found = found[:size]
    if before is not None:
        found.reverse()
    rows = rows_of(found)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(*where))
    if not rows:
        return Page(rows, total, None, None)
    first, last = rows[0]["sequence"], rows[-1]["sequence"]
    if before is not None:
        has_previous, has_next = more, True
    else:
        has_next = more
        has_previous = after is not None and db.session.scalar(
            sa.select(Ticket.id).where(*where, Ticket.sequence < first).limit(1)) is not None
    return Page(rows, total, first if has_previous else None, last if has_next else None)
