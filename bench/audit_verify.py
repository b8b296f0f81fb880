"""Time of the audit log's chain check and of a sample draw on a large campaign.

    python bench/audit_verify.py [--events 200000] [--lines 100000] [--url postgresql+psycopg://...]

Writes ``--events`` chained events for one campaign (as ``services.audit.record`` would, in bulk, keyed
with the audit key),
then times ``audit_review.verify`` (every hash recomputed, every link checked), the log as CSV,
and a sheet-to-floor draw (25 largest values + 60 at random) over ``--lines`` book lines.
Without ``--url`` the database is a temporary SQLite file.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="countapp-bench-")
    os.environ.setdefault("COUNTAPP_INSTANCE_PATH", folder)
    url = args.url or f"sqlite:///{folder}/bench.sqlite"

    from countapp import create_app
    from countapp.extensions import db
    from countapp.models import AuditEvent
    from countapp.services import audit, audit_export, audit_review, campaigns
    from countapp.services.schema import upgrade
    from reports.audit_sample import Candidate, draw_sheet_to_floor

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        code = f"BENCH{random.randrange(10**6)}"
        campaign = campaigns.create(code, year=2025, count_date=date(2025, 12, 28), closing_date=date(2025, 12, 31))
        last = db.session.execute(sa.select(AuditEvent.seq, AuditEvent.hash)
                                  .where(AuditEvent.campaign_id == campaign.id)).one()
        seq, previous = last.seq, last.hash
        key = audit.current_key()
        secret, key_id = key.secret, key.key_id
        start = datetime(2025, 12, 28, 8, tzinfo=timezone.utc)
        t0 = time.perf_counter()
        rows = []
        for i in range(args.events - 1):
            seq += 1
            at = start + timedelta(milliseconds=250 * i)
            after = {"round": 1 + i % 2, "quantity": str(i % 977), "state": "good", "status": "counted_1"}
            digest = audit.event_digest(previous, campaign.id, seq, at, "ann", "count.add", "ticket",
                                        f"{seq:06d}/2025", {"status": "issued"}, after, secret)
            rows.append({"campaign_id": campaign.id, "seq": seq, "at": at, "user_login": "ann", "action": "count.add",
                         "entity": "ticket", "entity_id": f"{seq:06d}/2025", "before": {"status": "issued"},
                         "after": after, "prev_hash": previous, "hash": digest, "key_id": key_id})
            previous = digest
            if len(rows) == 20_000:
                db.session.execute(sa.insert(AuditEvent), rows)
                rows.clear()
        if rows:
            db.session.execute(sa.insert(AuditEvent), rows)
        db.session.commit()
        print(f"wrote {args.events} events in {time.perf_counter() - t0:.1f} s ({db.engine.dialect.name})")

        t0 = time.perf_counter()
        check = audit_review.verify(campaigns.get(code))
        took = time.perf_counter() - t0
        assert check.ok and check.events == args.events, check.as_dict()
        print(f"verify: {check.events} events in {took:.2f} s ({check.events / took:,.0f} events/s)")

        t0 = time.perf_counter()
        data = audit_export.log_csv(campaigns.get(code))
        print(f"log as CSV: {len(data) / 2**20:.1f} MiB in {time.perf_counter() - t0:.2f} s")

    rng = random.Random(1)
    candidates = [Candidate(f"REF{i:07d}|LOC{i % 5000:05d}|", Decimal(rng.randint(0, 10**7)) / 100)
                  for i in range(args.lines)]
    t0 = time.perf_counter()
    sample = draw_sheet_to_floor(candidates, seed=2025, key_count=25, random_count=60)
    print(f"draw: {len(sample.lines)} of {args.lines} lines in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
