"""Jobs run by a real worker (``countapp worker``, its own process) on the test's database: an import
followed to done, a worker killed mid-import (the job ends failed by its lease, nothing written), and a
task that builds translated messages without a request (what crashed every web import before)."""
from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import gettext

from countapp.extensions import db
from countapp.models import BookLine, Job
from countapp.services import jobs

COUNTAPP = str(Path(sys.executable).with_name("countapp"))
LEASE = 2
HEADER = "reference;designation;unit;category;location;book_qty;unit_cost\n"


def greeting(progress, *, text: str) -> dict:
    """A task that translates, as every import summary does (a top-level function, JSON arguments)."""
    progress(1, total=1)
    return {"text": gettext(text)}


def test_a_task_translates_in_the_requesters_language_without_a_request(app, make_campaign):
    campaign = make_campaign()
    job_id = jobs.start("test.greeting", campaign, greeting, {"text": "Log in first."}, locale="fr")
    status = jobs.status(job_id)
    assert status["state"] == "done", status
    assert status["result"] == {"text": "Connectez-vous d’abord."}


def test_a_running_job_without_a_heartbeat_reads_failed_at_once(app, make_campaign, client_as):
    from datetime import datetime, timedelta, timezone

    campaign = make_campaign()
    manager = client_as("manager", language="en")
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    db.session.add(Job(id="a" * 32, kind="import.stock", campaign_id=campaign.id, campaign_code=campaign.code,
                       locale="en", task="countapp.services.imports:run_import", arguments={}, state="running",
                       done=5, message="", worker="gone:1", started_at=long_ago, heartbeat_at=long_ago))
    db.session.commit()
    status = manager.get(f"/campaigns/{campaign.code}/imports/jobs/{'a' * 32}?format=json").get_json()
    assert status["state"] == "failed" and "worker stopped" in status["error"]["text"]
    assert jobs.fail_stale(app) == 0   # already failed: the next worker start has nothing left to do


def breaks(progress) -> dict:
    raise RuntimeError("disk on fire")


def test_an_unexpected_error_fails_the_job_with_a_translated_message_and_logs_the_traceback(app, make_campaign,
                                                                                            caplog):
    campaign = make_campaign()
    with caplog.at_level("ERROR", logger="countapp.jobs"):
        job_id = jobs.start("test.breaks", campaign, breaks, {}, locale="fr")
    status = jobs.status(job_id)
    assert status["state"] == "failed" and status["error"]["message"] == jobs.E_UNEXPECTED
    assert "disk on fire" not in status["error"]["text"]
    assert any("disk on fire" in record.getMessage() and "Traceback" in record.getMessage()
               for record in caplog.records)


def test_a_task_must_be_a_top_level_function(app, make_campaign):
    campaign = make_campaign()
    with pytest.raises(TypeError):
        jobs.start("test.closure", campaign, lambda progress: {}, {})
    with pytest.raises(TypeError):
        jobs.start("test.args", campaign, greeting, {"text": object()})


@pytest.fixture
def queued(app, tmp_path, monkeypatch):
    """The app sends jobs to a queue file; ``start_worker()`` runs ``countapp worker`` on it."""
    queue_file = tmp_path / "queue.sqlite"
    monkeypatch.setitem(app.config, "COUNTAPP_JOBS", "queue")
    monkeypatch.setitem(app.config, "COUNTAPP_QUEUE_FILE", str(queue_file))
    monkeypatch.setitem(app.config, "COUNTAPP_JOB_LEASE", LEASE)
    app.extensions.pop("countapp_queue", None)
    env = {**os.environ, "COUNTAPP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "COUNTAPP_INSTANCE_PATH": app.instance_path, "COUNTAPP_QUEUE_FILE": str(queue_file),
           "COUNTAPP_JOB_LEASE": str(LEASE), "COUNTAPP_SECRET_KEY": "test-worker"}
    env.pop("COUNTAPP_REDIS_URL", None)
    started: list[subprocess.Popen] = []

    def start_worker() -> subprocess.Popen:
        log = open(tmp_path / f"worker{len(started)}.log", "wb")
        process = subprocess.Popen([COUNTAPP, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        started.append(process)
        return process

    start_worker.log = lambda n=0: (tmp_path / f"worker{n}.log").read_text(errors="replace")[-3000:]
    yield start_worker
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    app.extensions.pop("countapp_queue", None)


def _follow(client, url: str, until, timeout: float = 60.0, every: float = 0.1) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(url, query_string={"format": "json"}).get_json()
        if until(status) or time.monotonic() > deadline:
            return status
        time.sleep(every)


def _import_page(manager, body: str):
    page = manager.post("/campaigns/FY2025/imports", data={"kind": "stock", "file": (io.BytesIO(body.encode()),
                                                                                      "stock.csv")},
                        content_type="multipart/form-data").get_data(as_text=True)
    import re

    upload = re.search(r'name="upload"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="upload"', page)
    confirmed = manager.post("/campaigns/FY2025/imports/confirm", data={"upload": upload.group(1), "kind": "stock"})
    assert confirmed.status_code in (302, 303)
    return confirmed.headers["Location"]


def _lines(n: int) -> str:
    return HEADER + "".join(f"R-{i};Item {i};pc;raw_materials;L-{i % 500:03d};{i % 97 + 1};1.5\n" for i in range(n))


def test_a_real_worker_takes_a_web_import_to_done(app, client_as, make_campaign, queued):
    make_campaign()
    manager = client_as("manager", language="en")
    worker = queued()
    url = _import_page(manager, _lines(40))
    page = manager.get(url).get_data(as_text=True)
    assert 'data-state="queued"' in page or 'data-state="running"' in page or 'data-state="done"' in page
    status = _follow(manager, url, lambda s: s["state"] in ("done", "failed"))
    assert status["state"] == "done", (status, queued.log())
    assert "40 book lines imported" in status["result"]["summary"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)) == 40
    assert "Import finished" in manager.get(url).get_data(as_text=True)
    assert worker.poll() is None


@contextlib.contextmanager
def audit_chain_held(app, campaign_id: int):
    """PostgreSQL: hold the campaign's audit chain lock, so that an import stops inside its transaction
    after writing every line, at its audit record (countapp.services.audit)."""
    from countapp.services.audit import CHAIN_LOCK

    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_advisory_lock(:a, :b)"), {"a": CHAIN_LOCK, "b": campaign_id})
        try:
            yield
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:a, :b)"), {"a": CHAIN_LOCK, "b": campaign_id})
    engine.dispose()


def test_a_worker_killed_mid_import_leaves_the_job_failed_and_nothing_written(app, client_as, make_campaign, queued):
    campaign = make_campaign()
    manager = client_as("manager", language="en")
    worker = queued()
    lines = 20_000
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    with audit_chain_held(app, campaign.id) if postgresql else contextlib.nullcontext():
        url = _import_page(manager, _lines(lines))
        if postgresql:   # every line written in its transaction, waiting for the audit chain
            ready = lambda s: s["state"] == "running" and s["done"] == lines  # noqa: E731
        else:            # SQLite gives no such hold: killed while it runs (checking or writing)
            ready = lambda s: s["state"] != "queued"  # noqa: E731
        status = _follow(manager, url, lambda s: ready(s) or s["state"] in ("done", "failed"), timeout=120, every=0.02)
        assert status["state"] == "running", (status, queued.log())
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    killed_at = time.monotonic()
    status = _follow(manager, url, lambda s: s["state"] != "running", timeout=LEASE * 10)
    assert status["state"] == "failed", (status, queued.log())
    assert time.monotonic() - killed_at < LEASE * 5
    assert "worker stopped" in status["error"]["text"]
    page = manager.get(url).get_data(as_text=True)
    assert "Import failed" in page and "worker stopped" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)) == 0
    # a new worker starts cleanly and takes the next job
    queued()
    url = _import_page(manager, _lines(10))
    assert _follow(manager, url, lambda s: s["state"] in ("done", "failed"))["state"] == "done", queued.log(1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.state == "running")) == 0


def test_a_worker_shut_down_mid_import_says_so_at_once(app, client_as, make_campaign, queued):
    campaign = make_campaign()
    manager = client_as("manager", language="en")
    worker = queued()
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    with audit_chain_held(app, campaign.id) if postgresql else contextlib.nullcontext():
        url = _import_page(manager, _lines(20_000))
        status = _follow(manager, url, lambda s: s["state"] != "queued", timeout=120, every=0.02)
        assert status["state"] == "running", status
        os.killpg(worker.pid, signal.SIGTERM)   # a deploy, a service restart
        worker.wait(20)
    status = _follow(manager, url, lambda s: s["state"] != "running", timeout=LEASE * 10)
    written = db.session.scalar(sa.select(sa.func.count()).select_from(BookLine))
    if postgresql:   # held inside its transaction: it cannot have finished
        assert status["state"] == "failed" and "shut down" in status["error"]["text"], (status, queued.log())
    # SQLite: the job may have committed in the instant before the process ended; all or nothing either way
    assert (status["state"], written) in (("failed", 0), ("done", 20_000)), (status, written, queued.log())
