"""Two devices counting the same ticket and round at the same moment, on PostgreSQL with real threads:
exactly one count is kept and every other device gets a clear conflict naming who counted and when.
A tablet replaying the same client_id at the same moment gets the stored count, not a conflict."""
from __future__ import annotations

import threading
from datetime import timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, Count, User
from countapp.services import counting
from tickets.errors import Conflict

from ..conftest import TEST_DB
from ..scenario import build_scenario

pytestmark = pytest.mark.postgresql
THREADS = 6


@pytest.fixture
def s(app, tmp_path):
    if TEST_DB != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (COUNTAPP_TEST_DB=postgresql)")
    return build_scenario(tmp_path)


def race(app, jobs):
    """Run each job in its own thread and application context, all released at once."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, job):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = job()
            except Exception as error:  # noqa: BLE001 - the test looks at what each thread got
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_same_ticket_same_round_from_several_devices(app, s):
    team = ["ann", "ben", "lead1"]
    ids = {login: s.users[login].id for login in team}

    def device(i):
        def job():
            user = db.session.get(User, ids[team[i % 3]])
            result = counting.submit_count("FY2025", counting.CountInput(
                ticket=s.tickets["A-1@L-01"], round=1, quantity=str(1190 + i), client_id=f"device-{i}"), user=user)
            at = result.count.counted_at
            at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at
            # the conflict tells the time in the campaign's zone (Europe/Paris)
            return result.count.counted_by_name, at.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d %H:%M")
        return job

    results = race(app, [device(i) for i in range(THREADS)])
    winners = [r for r in results if isinstance(r, tuple)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(conflicts) == THREADS - 1, results
    who, when = winners[0]
    for conflict in conflicts:
        assert who in str(conflict) and when in str(conflict) and conflict.field == "ticket"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "count.add")) == 1


def test_same_client_id_replayed_at_once_is_one_count(app, s):
    ann = s.users["ann"].id

    def job():
        result = counting.submit_count("FY2025", counting.CountInput(
            ticket=s.tickets["A-1@L-02"], round=1, quantity="30", client_id="tablet-3:0001"),
            user=db.session.get(User, ann))
        return result.created, result.count.id

    results = race(app, [job] * THREADS)
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(created for created, _ in results) == [False] * (THREADS - 1) + [True]
    assert len({count_id for _, count_id in results}) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 1


def test_concurrent_posts_over_http(app, s, login_as):
    clients = []
    for login in ("ann", "ben", "lead1"):
        client = app.test_client()
        login_as(client, s.users[login])
        clients.append(client)

    def post(client, i):
        def job():
            response = client.post("/api/v1/counts", json={"ticket": s.tickets["D-4@L-04"], "round": 1,
                                                           "quantity": str(10 + i)})
            return response.status_code, response.get_json()
        return job

    results = race(app, [post(clients[i % 3], i) for i in range(THREADS)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    winner = next(body for status, body in results if status == 201)["count"]
    for status, body in results:
        if status == 409:
            assert winner["counted_by"] in body["error"]["message"] and body["error"]["field"] == "ticket"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 1
