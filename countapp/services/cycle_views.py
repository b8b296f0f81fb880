"""What the programme's pages read besides the use cases: its class figures and its items. Reads only."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models.cycles import CLASSES, CycleItem
from . import cycles as cycle_service


def class_summary(code: str) -> "cycle_service.ClassSummary":
    """Items and annual consumption value per class as they stand (nothing computed again)."""
    programme = cycle_service.get(code)
    found = cycle_service.ClassSummary()
    rows = db.session.execute(
        sa.select(CycleItem.abc_class, sa.func.count(), sa.func.coalesce(sa.func.sum(CycleItem.consumption_cents), 0),
                  sa.func.sum(sa.case((CycleItem.class_by_hand, 1), else_=0)),
                  sa.func.sum(sa.case((CycleItem.year_end, 1), else_=0)))
        .where(CycleItem.programme_id == programme.id).group_by(CycleItem.abc_class))
    for cls, items, value, by_hand, year_end in rows:
        found.items[cls] = items
        found.value_cents[cls] = int(value or 0)
        found.by_hand += int(by_hand or 0)
        found.year_end += int(year_end or 0)
    return found


def items(code: str, *, abc_class: str | None = None, search: str | None = None, limit: int = 200) -> list[CycleItem]:
    """The programme's items, the most significant first (annual consumption value, then reference)."""
    programme = cycle_service.get(code)
    query = sa.select(CycleItem).where(CycleItem.programme_id == programme.id)
    if abc_class in CLASSES:
        query = query.where(CycleItem.abc_class == abc_class)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower() + "%"
        query = query.where(sa.or_(sa.func.lower(CycleItem.reference).like(pattern, escape="\\"),
                                   sa.func.lower(CycleItem.designation).like(pattern, escape="\\")))
    return list(db.session.scalars(query.order_by(CycleItem.consumption_cents.desc(), CycleItem.reference)
                                   .limit(limit)))
