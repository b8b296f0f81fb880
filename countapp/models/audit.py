"""The append-only audit log: each event hashes the previous one of its chain (HMAC-SHA256 chain, SHA-256
before it was keyed). A campaign has a main chain and one sub-chain per user for count events, joined into
the main chain by ``audit.join`` events (docs/audit.md)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import created_at


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null for events outside any campaign (users); those form their own chain.
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"))
    # "" for the campaign's main chain; "user:<id>" for a user's count events (services.audit.SUB_CHAINED),
    # numbered from 1 in each chain (migration perfaudit0001).
    chain: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    seq: Mapped[int]
    at: Mapped[datetime] = created_at()
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    user_login: Mapped[str] = mapped_column(sa.String(80), default="")
    action: Mapped[str] = mapped_column(sa.String(60))
    entity: Mapped[str] = mapped_column(sa.String(60), default="")
    entity_id: Mapped[str] = mapped_column(sa.String(60), default="")
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The audit key that sealed this event (HMAC-SHA256, countapp.audit_key); null: plain SHA-256,
    # written before the chain was keyed (migration sec0001).
    key_id: Mapped[str | None] = mapped_column(sa.String(16))
