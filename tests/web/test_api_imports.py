"""Import API for ERPs: push a file with a token, follow the job to done (jobs run as the worker runs
them: another thread, an app context, no request, the requester's language)."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import BookLine, CampaignStatus, Job, JobFile
from countapp.services import users

STOCK = ("reference;designation;unit;category;location;book_qty;unit_cost\n"
         "A-1;Alpha;pc;raw_materials;L-01;10;2.5\nA-2;Beta;pc;raw_materials;L-02;3;1\n")
BAD = "reference;designation;unit;category;location;book_qty;unit_cost\nA;Alpha;pc;31;L1;-3;2\n"


@pytest.fixture
def campaign(make_campaign):
    return make_campaign()


@pytest.fixture
def bearer(app, make_user):
    def make(role="manager", **kwargs):
        user = make_user(kwargs.pop("login", f"{role}-api"), role, **kwargs)
        return {"Authorization": f"Bearer {users.new_api_token(user)}"}
    return make


def _push(client, headers, kind="stock", body=STOCK, code="FY2025"):
    data = {"file": (io.BytesIO(body.encode()), f"{kind}.csv")} if body is not None else {}
    return client.post(f"/api/v1/campaigns/{code}/imports/{kind}", data=data, headers=headers,
                       content_type="multipart/form-data")


def test_an_erp_pushes_stock_and_follows_the_job_to_done(client, campaign, bearer):
    headers = bearer()
    answer = _push(client, headers)
    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()["job"]
    assert set(job) == {"id", "state"} and job["state"] in ("queued", "running", "done")
    assert answer.headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    status = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).get_json()
    assert {"id", "kind", "state", "done", "total", "message", "result", "error"} <= set(status)
    assert status["state"] == "done" and status["kind"] == "import.stock" and status["error"] is None
    assert status["result"]["counts"]["lines"] == 2 and "2 book lines imported" in status["result"]["summary"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)) == 2
    # the upload stays only until its job ends
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFile).where(JobFile.role == "upload")) == 0


def test_the_job_speaks_the_requesters_language(client, campaign, bearer):
    headers = bearer(language="fr")
    job = _push(client, headers).get_json()["job"]
    status = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).get_json()
    assert status["state"] == "done", status
    from flask_babel import force_locale

    from countapp.services.imports import describe

    with force_locale("fr"):
        expected = describe("stock", status["result"]["counts"])
    assert status["result"]["summary"] == expected


def test_a_file_with_errors_fails_the_job_naming_every_line_and_writes_nothing(client, campaign, bearer):
    headers = bearer()
    job = _push(client, headers, body=BAD).get_json()["job"]
    status = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).get_json()
    assert status["state"] == "failed" and status["result"] is None
    assert "nothing was imported" in status["error"]["message"]
    assert {e["line"] for e in status["error"]["errors"]} == {2}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)) == 0


def test_the_api_refuses_what_the_command_line_refuses(client, campaign, bearer, make_campaign):
    headers = bearer()
    unknown = _push(client, headers, kind="prices")
    assert unknown.status_code == 400 and unknown.get_json()["error"]["field"] == "kind"
    missing = _push(client, headers, body=None)
    assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "file"
    assert _push(client, headers, code="NOPE").status_code == 404
    closed = make_campaign("OLD", year=2024)
    closed.status = CampaignStatus.CLOSED
    db.session.commit()
    refused = _push(client, headers, code="OLD")
    assert refused.status_code == 400 and "closed" in refused.get_json()["error"]["message"]
    assert _push(client, bearer("centraliser")).status_code == 403   # stock is the manager's
    # a counter in no team of the campaign is not told it exists (the campaign scope: 404, as for NOPE)
    assert _push(client, bearer("counter")).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_a_job_is_shown_only_to_its_campaigns_staff_and_its_requester(client, campaign, bearer):
    job = _push(client, bearer()).get_json()["job"]
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=bearer("auditor")).status_code == 200
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=bearer("counter")).status_code == 403
    assert client.get(f"/api/v1/jobs/{'0' * 32}", headers=bearer("centraliser")).status_code == 404
    assert client.get(f"/api/v1/jobs/{job['id']}").status_code == 401


def test_healthz_is_public_and_names_what_is_down(client, app, monkeypatch):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"database": "ok", "queue": "ok"}
    monkeypatch.setitem(app.config, "COUNTAPP_REDIS_URL", "redis://127.0.0.1:1/0")   # nothing listens there
    app.extensions.pop("countapp_queue", None)
    down = client.get("/healthz")
    assert down.status_code == 503 and down.get_json()["database"] == "ok"
    assert down.get_json()["queue"].startswith("unreachable")


def test_a_job_is_refused_at_once_when_the_queue_is_out_of_reach(client, app, campaign, bearer, monkeypatch):
    monkeypatch.setitem(app.config, "COUNTAPP_JOBS", "queue")
    monkeypatch.setitem(app.config, "COUNTAPP_REDIS_URL", "redis://127.0.0.1:1/0")   # nothing listens there
    app.extensions.pop("countapp_queue", None)
    answer = _push(client, bearer())
    assert answer.status_code == 503 and "queue is out of reach" in answer.get_json()["error"]["message"]
    assert db.session.scalar(sa.select(Job.state)) == "failed"   # never "queued" for ever
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)) == 0


def test_counts_go_through_the_same_job_and_name_the_lines_at_fault(client, campaign, bearer):
    from pathlib import Path

    body = (Path(__file__).parent.parent / "fixtures" / "counts.csv").read_text(encoding="utf-8-sig")
    headers = bearer("centraliser")
    answer = _push(client, headers, kind="counts", body=body)
    assert answer.status_code == 202, answer.get_json()
    status = client.get(f"/api/v1/jobs/{answer.get_json()['job']['id']}", headers=headers).get_json()
    assert status["kind"] == "import.counts" and status["state"] == "failed"   # no ticket exists yet
    assert status["error"]["errors"] and all(e["line"] for e in status["error"]["errors"])


def test_the_command_line_gives_an_erp_its_token(runner, client, campaign, make_user):
    make_user("erp", "manager")
    result = runner.invoke(args=["user", "token", "erp"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    answer = _push(client, {"Authorization": f"Bearer {token}"})
    assert answer.status_code == 202
    assert runner.invoke(args=["user", "token", "nobody"]).exit_code == 1
