"""Sub-chains of the audit log (docs/audit.md): count events chained per user, joined into the
campaign's main chain; batches written with one INSERT (audit.record_many)."""
from __future__ import annotations

import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent
from countapp.services import audit, audit_review, campaigns

from ..scenario import build_scenario


def _campaign(code="FY2025"):
    return campaigns.get(code)


def test_record_many_chains_a_batch_in_order_with_one_insert(app, tmp_path):
    s = build_scenario(tmp_path)
    campaign = _campaign()
    before = audit_review.verify(campaign)
    rows = audit.record_many([{"action": "test.batch", "campaign": campaign, "entity": "ticket", "entity_id": n,
                               "after": {"n": n}, "user": s.users["manager"]} for n in range(5)])
    db.session.commit()
    assert [r["entity_id"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(rows, rows[1:]))
    check = audit_review.verify(campaign)
    assert check.ok, [b.render() for b in check.breaks]
    assert check.events == before.events + 5
    assert audit.record_many([]) == []
