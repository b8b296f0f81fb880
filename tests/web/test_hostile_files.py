"""Hostile input through the pages and the API: files past the limits, NUL characters, a header with no line,
nested JSON, wrong types, numbers out of range, page numbers that overflow: a clear 4xx, never a 500. Uploads
leave nothing behind in the instance folder once their preview or import ends, and a sweep removes any older
than a day."""
from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.hostile_files import strings_bomb, stock_rows, write_xlsx
from countapp.extensions import db
from countapp.models import BookLine, Count, JobFile
from countapp.services import jobs

from ..scenario import STOCK, build_scenario

BASE = "/campaigns/FY2025"
HEADER = STOCK.splitlines()[0] + "\n"


@pytest.fixture
def planning(app, make_campaign):
    return make_campaign("FY2025")


@pytest.fixture
def manager(app, planning, client_as):
    return client_as("manager")


def uploads(app) -> list[str]:
    folder = Path(app.instance_path) / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def upload_rows() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(JobFile).where(JobFile.role == "upload"))


def preview(client, data: bytes, name: str, kind: str = "stock"):
    return client.post(f"{BASE}/imports", data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


# --- files through the import page --------------------------------------------------------------------

@pytest.mark.parametrize("name, data, expected", [
    ("long.csv", (HEADER + "A;" + "x" * 140_000 + ";pc;31;L;Z;S;;1;1;own;\n").encode(),
     "long.csv, line 2: a field is longer than 131072 characters."),
    ("nul.csv", (HEADER + "A;Bo\x00lt;pc;31;L;Z;S;;1;1;own;\n").encode(),
     "nul.csv, line 2: the file contains NUL characters"),
    ("empty.csv", HEADER.encode(), "empty.csv: the file has no lines under its header."),
])
def test_hostile_csv_files_are_refused_on_the_preview(app, manager, name, data, expected):
    response = preview(manager, data, name)
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)) == 0


def test_an_xlsx_bomb_is_refused_on_the_preview(app, manager, tmp_path):
    data = strings_bomb(tmp_path / "bomb.xlsx", 100_000).read_bytes()
    page = preview(manager, data, "bomb.xlsx").get_data(as_text=True)
    assert "bomb.xlsx: a part of the XLSX file is compressed" in page


def test_an_xlsx_with_too_many_rows_is_refused_through_the_api(app, planning, tmp_path, make_user):
    from countapp.services import users

    token = users.new_api_token(make_user("erp", "manager"))
    path = write_xlsx(tmp_path / "rows.xlsx", stock_rows(30))
    app.config["COUNTAPP_XLSX_MAX_ROWS"] = 20
    response = app.test_client().post(f"/api/v1/campaigns/FY2025/imports/stock",
                                      headers={"Authorization": "Bearer " + token},
                                      data={"file": (io.BytesIO(path.read_bytes()), "rows.xlsx")},
                                      content_type="multipart/form-data")
    assert response.status_code == 202
    job = app.test_client().get(response.headers["Location"], headers={"Authorization": "Bearer " + token})
    body = job.get_json()
    assert body["state"] == "failed" and "more than 20 rows" in body["error"]["message"]
    assert uploads(app) == [] and upload_rows() == 0


# --- JSON ------------------------------------------------------------------------------------------

@pytest.fixture
def s(app, tmp_path):
    return build_scenario(tmp_path)


@pytest.fixture
def ann(app, s, login_as):
    client = app.test_client()
    login_as(client, s.users["ann"])
    return client


NESTED = {"a": [{"b": {"c": [1, [2, [3, {"d": None}]]]}}]}


@pytest.mark.parametrize("body", [
    {"ticket": NESTED, "round": 1, "quantity": "1"},
    {"ticket": "2", "round": NESTED, "quantity": "1"},
    {"ticket": "2", "round": 1, "quantity": NESTED},
    {"ticket": "2", "round": 1, "quantity": [1, 2]},
    {"ticket": "2", "round": 1, "quantity": True},
    {"ticket": "2", "round": 1, "quantity": 1e308},
    {"ticket": "2", "round": 1, "quantity": -1},
    {"ticket": "2", "round": 1, "quantity": 10 ** 30},
    {"ticket": "2", "round": 1, "quantity": "1e999999"},
    {"ticket": "2", "round": 1, "quantity": "NaN"},
    {"ticket": "2", "round": 10 ** 30, "quantity": "1"},
    {"ticket": "2", "round": 1e308, "quantity": "1"},
    {"ticket": 10 ** 30, "round": 1, "quantity": "1"},
    {"ticket": "9" * 400, "round": 1, "quantity": "1"},
    {"ticket": "2", "round": 1, "quantity": "1", "campaign": NESTED},
    {"ticket": "2", "round": 1, "quantity": "1", "campaign": 12},
    {"ticket": "2", "round": 1, "quantity": "1", "state": NESTED},
    {"ticket": "2", "round": 1, "quantity": "1", "method": [1]},
    {"ticket": "2", "round": 1, "quantity": "1", "counted_at": NESTED},
    {"ticket": "2", "round": 1, "quantity": "1", "counted_at": "99999-12-31T00:00:00"},
    {"ticket": "2", "round": 1, "quantity": "1", "counted_at": 10 ** 30},
    {"ticket": "2", "round": 1, "quantity": "1", "client_id": NESTED},
    {"ticket": "2", "round": 1, "quantity": None, "packaging": NESTED},
    {"ticket": "2", "round": 1, "quantity": None, "packaging": {"pallets": 10 ** 30, "cartons_per_pallet": 1,
                                                                "units_per_carton": 1}},
    {"ticket": "2", "round": 1, "quantity": None, "packaging": {"pallets": NESTED}},
    {"ticket": "6", "round": 1, "quantity": "1", "reference": NESTED, "location": "L-01"},
])
def test_bad_json_counts_are_4xx(app, ann, body):
    response = ann.post("/api/v1/counts", json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.get_json()["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 0


@pytest.mark.parametrize("body", [
    {"ticket": "2", "round": 1, "quantity": NESTED, "reason": "x"},
    {"ticket": "2", "round": 1, "quantity": "1", "reason": NESTED},
    {"ticket": NESTED, "round": 1, "quantity": "1", "reason": "x"},
    {"ticket": "2", "round": 10 ** 30, "quantity": "1", "reason": "x"},
])
def test_bad_json_corrections_are_4xx(app, ann, s, body):
    ann.post("/api/v1/counts", json={"ticket": "2", "round": 1, "quantity": "30"})
    response = ann.post("/api/v1/corrections", json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b'"text"', b"null", b"1e999999", b'{"a": ' * 5000 + b"1" +
                                 b"}" * 5000, b"\xff\xfe"])
def test_broken_json_bodies_are_4xx(app, ann, raw):
    response = ann.post("/api/v1/counts", data=raw, content_type="application/json")
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize("url", [
    "/api/v1/campaigns/FY2025/counts?offset=" + "9" * 30,
    "/api/v1/campaigns/FY2025/counts?limit=" + "9" * 30,
    "/api/v1/campaigns/FY2025/tickets?after=" + "9" * 30,
    "/api/v1/campaigns/FY2025/tickets?limit=-1",
    "/api/v1/campaigns/FY2025/progress?remaining=" + "9" * 30,
    "/api/v1/campaigns/FY2025/items?limit=1e3",
    "/api/v1/tickets/" + "9" * 30,
    "/api/v1/tickets/" + "9" * 30 + "?campaign=FY2025",
    "/api/v1/tickets/1/" + "9" * 30 + "?campaign=FY2025",
    "/api/v1/jobs/" + "f" * 32,
])
def test_out_of_range_numbers_in_api_addresses_are_4xx(app, s, login_as, url):
    client = app.test_client()
    login_as(client, s.users["manager"])
    response = client.get(url)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize("url", [
    BASE + "/audit/log?page=" + "1" + "0" * 30,
    BASE + "/audit/log?page=-5",
    BASE + "/tickets?after=" + "9" * 30,
    BASE + "/tickets?before=" + "9" * 30,
    BASE + "/centralisation?after=" + "9" * 30,
    BASE + "/centralisation?before=" + "9" * 30,
])
def test_overflowing_page_numbers_are_a_clear_400(app, s, login_as, url):
    client = app.test_client()
    login_as(client, s.users["manager"])
    response = client.get(url)
    if "page=-5" in url:   # not past any limit: the first page
        assert response.status_code == 200
    else:
        assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:300])
        assert "A number in the address is out of range" in response.get_data(as_text=True)  # says what is wrong


# --- the life of an upload -------------------------------------------------------------------------

GOOD_STOCK = STOCK.encode()


def test_a_preview_with_errors_leaves_nothing_behind(app, manager):
    preview(manager, HEADER.encode(), "empty.csv")
    assert uploads(app) == [] and upload_rows() == 0


def test_a_good_preview_waits_in_the_database_then_its_import_takes_it_away(app, manager):
    page = preview(manager, GOOD_STOCK, "stock.csv").get_data(as_text=True)
    assert "5 lines checked, no error" in page
    assert uploads(app) == [] and upload_rows() == 1          # kept for the confirmation, not on this machine
    import re
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', page).group(1)
    response = manager.post(f"{BASE}/imports/confirm", data={"upload": token, "kind": "stock"})
    assert response.status_code in (302, 303)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)) == 5
    assert uploads(app) == [] and upload_rows() == 0


def test_an_import_that_fails_leaves_nothing_behind(app, manager):
    page = preview(manager, GOOD_STOCK, "stock.csv").get_data(as_text=True)
    import re
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', page).group(1)
    # The stored file is replaced by a broken one between the preview and the confirmation: the job fails.
    db.session.execute(sa.update(JobFile).where(JobFile.token == token).values(data=HEADER.encode()))
    db.session.commit()
    manager.post(f"{BASE}/imports/confirm", data={"upload": token, "kind": "stock"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)) == 0
    assert uploads(app) == [] and upload_rows() == 0


def test_the_sweep_removes_uploads_older_than_a_day(app, planning):
    from datetime import datetime, timedelta, timezone

    from countapp.services import job_queue

    folder = Path(app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    old, fresh = folder / ("a" * 32 + "__old.csv"), folder / ("b" * 32 + "__fresh.csv")
    old.write_text("x")
    fresh.write_text("x")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    long_ago = datetime.now(timezone.utc) - timedelta(days=2)
    db.session.add_all([JobFile(token="old", role="upload", name="old.csv", size=1, data=b"x", created_at=long_ago),
                        JobFile(token="fresh", role="upload", name="fresh.csv", size=1, data=b"x")])
    db.session.commit()
    job_queue.bind_worker(app)
    job_queue.sweep()    # what the worker runs at start, then every half hour
    db.session.expire_all()
    assert uploads(app) == [fresh.name]
    assert list(db.session.scalars(sa.select(JobFile.token).where(JobFile.role == "upload"))) == ["fresh"]


def test_purge_uploads_command(app, planning, runner):
    from datetime import datetime, timedelta, timezone

    db.session.add(JobFile(token="old", role="upload", name="old.csv", size=1, data=b"x",
                           created_at=datetime.now(timezone.utc) - timedelta(hours=3)))
    db.session.commit()
    assert "0 uploads removed" in runner.invoke(args=["purge-uploads"]).output
    result = runner.invoke(args=["purge-uploads", "--older-than", "2"])
    assert result.exit_code == 0 and "1 upload removed from the database" in result.output
    db.session.expire_all()
    assert upload_rows() == 0
