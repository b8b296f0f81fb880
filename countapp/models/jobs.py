"""Background jobs: their state and progress, and the files they read or write.

Both live in the database so that any web worker on any machine answers a job's page, and so
that a file uploaded through one server can be imported by a worker on another.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import created_at

JOB_STATES = ("queued", "running", "done", "failed")


class Job(db.Model):
    """One piece of long work (an import, a ticket print, a report draft) and where it stands."""

    __tablename__ = "job"
    __table_args__ = (sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
                      sa.CheckConstraint("done >= 0", name="done_positive"))

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    campaign_code: Mapped[str] = mapped_column(sa.String(40))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    locale: Mapped[str] = mapped_column(sa.String(10), default="en")
    task: Mapped[str] = mapped_column(sa.String(200))
    arguments: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    state: Mapped[str] = mapped_column(sa.String(10), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    message: Mapped[str] = mapped_column(sa.String(200), default="")
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[dict | None] = mapped_column(sa.JSON)
    worker: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = created_at()
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class JobFile(db.Model):
    """A file a job reads (an upload, removed once the job ends) or writes (a PDF to download)."""

    __tablename__ = "job_file"
    __table_args__ = (sa.CheckConstraint("role IN ('upload', 'output')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(140), unique=True)
    job_id: Mapped[str | None] = mapped_column(sa.ForeignKey("job.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(200))
    size: Mapped[int] = mapped_column(default=0)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = created_at()
