"""Column helpers shared by the models: checked-string enums, exact numbers, UTC times."""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import mapped_column

QTY = sa.Numeric(18, 4)      # quantities: up to 4 decimals (kg, m, litres)
COST = sa.Numeric(18, 6)     # unit costs: purchase prices often carry more than cents
MONEY = sa.Numeric(18, 2)    # values: to the cent


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A string column checked by the database against the enum's values (no native enum)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 4,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def created_at():
    return mapped_column(sa.DateTime(timezone=True), default=utcnow, nullable=False)


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))
