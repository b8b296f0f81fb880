"""Time the written count instructions on a campaign of N locations.

    python bench/instructions_doc.py [--locations 20000] [--zones 40]

Builds a temporary SQLite database with one campaign: N locations spread over Z zones on two
sites (one book line per location, 1 % held for third parties, 1 % at third parties), one team per
zone and round, with times. Prints what a manager waits for:

- building the document's data from the database (what the instructions page does);
- the missing-items check;
- the draft PDF (the download button) and its size and pages;
- issuing a version (data, PDF, SHA-256, stored).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CODE = "BENCH"


def _timed(label: str, function):
    start = time.perf_counter()
    result = function()
    print(f"{label:<42} {time.perf_counter() - start:8.3f} s")
    return result


def build_campaign(locations: int, zones: int) -> None:
    from countapp.extensions import db
    from countapp.models import BookLine, Item, Location, Site, Team, User, Zone
    from countapp.services import campaigns

    campaign = campaigns.create(CODE, year=2025, count_date=dt.date(2025, 12, 28), closing_date=dt.date(2025, 12, 31))
    cid = campaign.id
    db.session.execute(sa.insert(Site), [{"campaign_id": cid, "code": s, "name": ""} for s in ("NORTH", "SOUTH")])
    sites = dict(db.session.execute(sa.select(Site.code, Site.id)).all())
    db.session.execute(sa.insert(Zone), [{"campaign_id": cid, "site_id": sites["NORTH" if z % 2 else "SOUTH"],
                                          "code": f"Z{z:03d}"} for z in range(1, zones + 1)])
    zone_ids = dict(db.session.execute(sa.select(Zone.code, Zone.id)).all())
    db.session.execute(sa.insert(Location), [
        {"campaign_id": cid, "zone_id": zone_ids[f"Z{i % zones + 1:03d}"], "code": f"L-{i:06d}", "added_by_hand": False}
        for i in range(locations)])
    db.session.execute(sa.insert(Item), [{"campaign_id": cid, "reference": f"R{i:05d}", "designation": "x",
                                          "unit": "pc", "category": "raw_materials"} for i in range(1000)])
    items = [i for (i,) in db.session.execute(sa.select(Item.id))]
    location_ids = [i for (i,) in db.session.execute(sa.select(Location.id).order_by(Location.id))]
    owners = lambda i: "third_party" if i % 100 == 0 else "at_third_party" if i % 100 == 1 else "own"  # noqa: E731
    db.session.execute(sa.insert(BookLine), [
        {"campaign_id": cid, "item_id": items[i % len(items)], "location_id": loc, "lot": "", "book_qty": 10,
         "unit_cost": 1, "owner": owners(i), "holder": f"Party {i % 7}" if owners(i) != "own" else ""}
        for i, loc in enumerate(location_ids)])
    leaders = []
    for number in range(1, 2 * zones + 1):
        user = User(login=f"lead{number}", name=f"Leader {number}", role="leader", password_hash="x")
        db.session.add(user)
        leaders.append(user)
    db.session.flush()
    for number, leader in enumerate(leaders, start=1):
        rnd = 1 if number <= zones else 2
        zone = ((number - 1) % zones) + 1
        start = dt.datetime(2025, 12, 28, 8 if rnd == 1 else 13)
        team = Team(campaign_id=cid, number=number, round=rnd, leader_id=leader.id, starts_at=start,
                    ends_at=start + dt.timedelta(hours=4))
        team.zones = [db.session.get(Zone, zone_ids[f"Z{zone:03d}"])]
        db.session.add(team)
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=20_000)
    parser.add_argument("--zones", type=int, default=40)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="countapp-bench-"))
    os.environ["COUNTAPP_INSTANCE_PATH"] = str(folder / "instance")
    from countapp import create_app
    from countapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}"})
    with app.app_context():
        from countapp.services import campaigns
        from countapp.services import instructions as service
        from countapp.services.schema import upgrade

        upgrade()
        _timed(f"set-up ({args.locations} locations, {args.zones} zones)",
               lambda: build_campaign(args.locations, args.zones))
        service.save_facts(CODE, service.Facts(
            person_in_charge="Claire Dubois", centraliser="Sophie Lambert", categories=["raw_materials"],
            freeze_from=dt.datetime(2025, 12, 27, 18), freeze_to=dt.datetime(2025, 12, 29, 8),
            auditors=[{"kind": "statutory_auditor", "name": "Jean Commissaire", "firm": ""}],
            last_receipt_document="BR-1", last_shipment_document="BL-1"))
        campaign = campaigns.get(CODE)
        data = _timed("build the document's data", lambda: service.build(campaign))
        gaps = _timed("missing-items check", lambda: service.missing(campaign))
        pdf = _timed("draft PDF", lambda: service.draft_pdf(campaign))
        import pypdf

        pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
        print(f"{'draft':<42} {len(pdf) / 1e6:8.2f} MB, {pages} pages, {len(data.places)} places, "
              f"{len(gaps)} missing")
        version = _timed("issue version 1", lambda: service.issue(CODE))
        print(f"{'version 1':<42} {len(version.pdf) / 1e6:8.2f} MB, sha256 {version.sha256[:16]}…")
        db.engine.dispose()


if __name__ == "__main__":
    main()
