"""The count writer of ``countapp serve`` (countapp.count_writer, services.count_batch): tablets' counts
written a batch at a time give exactly what the tablet path gives one count at a time, answers included,
and a batch that cannot be written leaves nothing of itself."""
from __future__ import annotations

import pickle
import threading

import pytest
import sqlalchemy as sa

from countapp import count_writer
from countapp.extensions import db
from countapp.models import Count, SessionUser, User
from countapp.models.users import SESSION_COLUMNS
from countapp.services import counting
from countapp.services.count_batch import CountRequest, submit_counts, submit_one
from tickets.errors import CountappError, Forbidden, NotFound

from .test_count_import import _state, s_date

CODE = "FY2025"


def session_user(login: str) -> SessionUser:
    """The user as a web worker hands it to the writer (web.security loads this row on every request)."""
    table = User.__table__
    row = db.session.execute(sa.select(*(table.c[name] for name in SESSION_COLUMNS))
                             .where(table.c.login == login)).one()
    return SessionUser(row)


def _twin(tmp_path, code: str) -> None:
    """A second campaign like the scenario's, with the same teams, members and ticket numbers."""
    from countapp.services import campaigns, imports, teams, tickets
    from tests.scenario import STOCK

    campaigns.create(code, year=2025, count_date=s_date(28), closing_date=s_date(31))
    stock = tmp_path / f"{code}-stock.csv"
    stock.write_text(STOCK, encoding="utf-8")
    imports.import_file("stock", code, stock)
    teams.add_team(code, 1, round=1, leader="lead1", members=["ann", "ben"], zones=["Z1", "Z2"])
    teams.add_team(code, 2, round=2, leader="lead2", members=["cat", "dan"], zones=["Z1", "Z2"])
    made = tickets.generate(code, blank=2)
    tickets.issue(code, team=1, first=made["first"], last=made["last"])
    tickets.issue(code, team=2, first=made["first"], last=made["last"])
    tickets.start_counting(code)


def _batches(s) -> list[list[tuple]]:
    """Three batches as tablets would send them: (login, ticket, round, quantity, extra input)."""
    a1, a2, b2, c3, d4 = (s.tickets[k] for k in ("A-1@L-01", "A-1@L-02", "B-2@L-02", "C-3@L-03", "D-4@L-04"))
    blank = s.blanks[0]
    return [
        [("ann", a1, 1, "1200", {"client_id": "c-a1"}), ("ben", a2, 1, "30", {"client_id": "c-a2"}),
         ("ann", b2, 1, "12.5", {}), ("ben", c3, 1, "4", {}), ("ann", d4, 1, "9", {}),
         ("ann", blank, 1, "7", {"reference": "B-2", "location": "L-01", "lot": "LOT7", "client_id": "c-blank"}),
         ("ann", a1, 1, "1200", {"client_id": "c-a1"}),        # sent twice in the batch: a replay, after it
         ("cat", a1, 1, "5", {}),                               # round 2's team on round 1
         ("ann", "999999/2025", 1, "1", {}),                    # no such ticket
         ("ann", "A-1", 1, "1", {}),                            # not a number
         ("ben", a2, 1, "abc", {})],                            # touched earlier in the batch: after it
        [("cat", a1, 2, "1200", {"client_id": "c2-a1"}), ("dan", a2, 2, "28", {"state": "damaged"}),
         ("cat", b2, 2, "11", {}), ("dan", c3, 2, "4", {}), ("cat", d4, 2, "9", {}),
         ("dan", blank, 2, "7", {}),
         ("ann", a1, 1, "1200", {"client_id": "c-a1"}),        # a replay of the 1st batch
         ("ann", a2, 1, "31", {"client_id": "c-a1"}),          # its client id used for another count
         ("ben", a1, 1, "1", {}),                               # round 1 is in
         ("cat", a1, 2, "1", {"quantity": "x"})],
        # B-2@L-02 is on lead1's and lead2's recount sheet (_sheet); D-4@L-04 on none
        [("centraliser", a2, 3, "29", {}), ("lead2", b2, 3, "11.5", {}), ("lead1", d4, 3, "9", {})],
    ]


def _sheet(code: str, s) -> None:
    """Between the 2nd and 3rd batches: B-2@L-02 (its counts disagree) on a recount sheet of lead1 and lead2."""
    from countapp.services import recounts

    by = db.session.scalar(sa.select(User).where(User.login == "centraliser"))
    recounts.create_sheet(code, tickets=[s.tickets["B-2@L-02"]], leader1="lead1", leader2="lead2",
                          supervisor="centraliser", by=by)


def _input(ticket, round_, quantity, extra, prefix: str = "") -> counting.CountInput:
    """A tablet's input; ``prefix`` keeps a twin campaign's client ids apart (they are unique everywhere)."""
    values = {"state": "good", "method": "counted", **extra}
    if "client_id" in values:
        values["client_id"] = prefix + values["client_id"]
    values.setdefault("quantity", quantity)
    return counting.CountInput(ticket=ticket, round=round_, **values)


def _answer(outcome, code: str):
    """What the tablet reads of an outcome, without what differs between two campaigns or two runs."""
    if outcome.error is not None:
        params = {k: v for k, v in outcome.error.params.items() if k not in ("when", "code")}
        return type(outcome.error).__name__, outcome.error.message, outcome.error.field, params
    view = {k: v for k, v in outcome.view.items() if k not in ("id", "recorded_at", "counted_at")}
    if view["client_id"]:
        view["client_id"] = view["client_id"].removeprefix("T-")
    return "ok", outcome.created, view


def test_a_batch_gives_what_one_count_at_a_time_gives(s, tmp_path):
    """Every rule, every answer (written, replayed, refused), the same counts, tickets and audit events
    as ``counting.submit_count`` count after count, on a twin campaign."""
    _twin(tmp_path, "TWIN")
    users = {login: session_user(login) for login in ("ann", "ben", "cat", "dan", "lead1", "lead2", "centraliser")}
    batched, one_by_one = [], []
    for number, batch in enumerate(_batches(s)):
        if number == 2:   # third counts: read from the recount sheets in one statement a batch
            _sheet(CODE, s)
            _sheet("TWIN", s)
        requests = [CountRequest(CODE, _input(t, r, q, x), users[who]) for who, t, r, q, x in batch]
        batched += [_answer(o, CODE) for o in submit_counts(requests)]
        twins = [CountRequest("TWIN", _input(t, r, q, x, "T-"), users[who]) for who, t, r, q, x in batch]
        one_by_one += [_answer(submit_one(request), "TWIN") for request in twins]
    assert batched == one_by_one
    kinds = [answer[0] if answer[0] != "ok" else ("created" if answer[1] else "replayed") for answer in batched]
    assert kinds.count("created") == 6 + 6 + 2 and kinds.count("replayed") == 2
    assert {"Forbidden", "NotFound", "CountappError", "Conflict"} <= set(kinds)
    assert _state(CODE)[:2] == _state("TWIN")[:2]
    assert _events(CODE) == _events("TWIN") and len(_events(CODE)) == 14
    # What the batch stored hashes as what it hashed: its audit log verifies, every sub-chain whole.
    from countapp.services import audit_review, campaigns

    check = audit_review.verify(campaigns.get(CODE))
    assert check.breaks == () and check.events >= 14 and len(check.sub_chains) >= 4


def _events(code: str) -> list[tuple]:
    """A campaign's count events chain by chain, in each chain's order (the twin's client ids unprefixed)."""
    from countapp.models import AuditEvent, Campaign

    campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.code == code))
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.campaign_id == campaign_id,
                                                            AuditEvent.action == "count.add")
                                .order_by(AuditEvent.chain, AuditEvent.seq))
    return [(e.chain, e.seq, e.entity_id, e.before, {**e.after, "client_id": (e.after.get("client_id") or "")
                                                     .removeprefix("T-")}, e.user_login) for e in events]


def test_a_batch_that_fails_is_written_one_count_at_a_time(s, monkeypatch):
    """A fault while the batch is written: nothing of it stays, and each count then goes the tablet path."""
    from countapp.services import count_batch

    real, failed = count_batch.bulk.write_updates, []

    def fail_once(*args, **kwargs):
        real(*args, **kwargs)   # the counts and events are sent when the fault comes (on PostgreSQL, in
        if not failed:          # the driver's pipeline, the commit not yet)
            failed.append(True)
            raise RuntimeError("a fault in the middle of the batch")

    monkeypatch.setattr(count_batch.bulk, "write_updates", fail_once)
    ann, ben = session_user("ann"), session_user("ben")
    outcomes = submit_counts([CountRequest(CODE, _input(s.tickets["A-1@L-01"], 1, "1200", {"client_id": "f-1"}), ann),
                              CountRequest(CODE, _input(s.tickets["A-1@L-02"], 1, "30", {}), ben)])
    assert failed and [o.created for o in outcomes] == [True, True]
    assert db.session.scalars(sa.select(Count.counted_by_name).order_by(Count.id)).all() == ["Ann", "Ben"]
    assert len(_events(CODE)) == 2


@pytest.mark.postgresql
def test_a_client_id_taken_meanwhile_gets_the_tablet_paths_answer(s, app, monkeypatch):
    """PostgreSQL locks only the batch's tickets: another ticket's count may take one of the batch's client
    ids between its checks and its write. The unique index refuses the batch; nothing of it stays, and
    each count gets the tablet path's answer (the other one written, that one refused naming the first)."""
    from countapp.services import count_batch
    from tests.conftest import TEST_DB

    if TEST_DB != "postgresql":
        pytest.skip("SQLite holds the database's write lock for the whole batch: nothing gets in meanwhile")
    ann, ben, lead1 = session_user("ann"), session_user("ben"), session_user("lead1")
    a1, a2, c3 = s.tickets["A-1@L-01"], s.tickets["A-1@L-02"], s.tickets["C-3@L-03"]
    real, raced = counting.check_count, []

    def check_then_race(campaign, ticket, *args, **kwargs):
        checked = real(campaign, ticket, *args, **kwargs)
        if not raced:
            raced.append(True)
            # Another worker (its own session), for a user outside the batch: the batch holds its own users'
            # audit sub-chains from its reads on, so one of theirs would wait for it, here for ever.
            with app.app_context():
                counting.submit_count(CODE, _input(c3, 1, "4", {"client_id": "taken"}), user=lead1)
        return checked

    monkeypatch.setattr(count_batch.counting, "check_count", check_then_race)
    outcomes = count_batch.submit_counts([CountRequest(CODE, _input(a1, 1, "1200", {}), ann),
                                          CountRequest(CODE, _input(a2, 1, "30", {"client_id": "taken"}), ben)])
    assert raced and outcomes[0].created
    assert outcomes[1].error is not None and outcomes[1].error.field == "client_id"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 2


def test_a_count_from_elsewhere_by_a_user_of_the_batch_waits_for_it(s, app, monkeypatch):
    """PostgreSQL: the batch holds its users' audit sub-chains from its reads to its commit. A count by one
    of them from elsewhere (another worker, the counts-file import) waits for the batch, then goes on its
    chain after the batch's event: both counts stored, the chain whole, nobody stuck."""
    from countapp.services import audit_review, campaigns, count_batch
    from tests.conftest import TEST_DB

    if TEST_DB != "postgresql":
        pytest.skip("SQLite holds the database's write lock for the whole batch: the other count waits on it")
    ann = session_user("ann")
    a1, c3 = s.tickets["A-1@L-01"], s.tickets["C-3@L-03"]
    real, elsewhere, answers = counting.check_count, [], []

    def other_count():
        with app.app_context():
            try:
                result = counting.submit_count(CODE, _input(c3, 1, "4", {"client_id": "elsewhere"}), user=ann)
                answers.append(result.created)
            except Exception as error:   # noqa: BLE001 - reported by the assertion below
                answers.append(error)
            finally:
                db.session.remove()

    def check_while_another_counts(campaign, ticket, *args, **kwargs):
        if not elsewhere:   # the batch has read and locked its tickets and its users' sub-chains
            elsewhere.append(threading.Thread(target=other_count))
            elsewhere[0].start()
            elsewhere[0].join(1.5)
            assert elsewhere[0].is_alive(), f"the other count did not wait for the batch: {answers}"
        return real(campaign, ticket, *args, **kwargs)

    monkeypatch.setattr(count_batch.counting, "check_count", check_while_another_counts)
    outcomes = count_batch.submit_counts([CountRequest(CODE, _input(a1, 1, "1200", {"client_id": "batch"}), ann)])
    elsewhere[0].join(30)
    assert not elsewhere[0].is_alive() and answers == [True]
    assert outcomes[0].created and outcomes[0].view["client_id"] == "batch"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 2
    assert [event[4]["client_id"] for event in _events(CODE)] == ["batch", "elsewhere"]   # one chain, in that order
    check = audit_review.verify(campaigns.get(CODE))
    assert check.breaks == ()


def test_the_user_and_the_answers_cross_the_socket_whole(s):
    ann = session_user("ann")
    again = pickle.loads(pickle.dumps(ann))
    assert [getattr(again, n) for n in SESSION_COLUMNS] == [getattr(ann, n) for n in SESSION_COLUMNS]
    assert again.campaign_codes == ann.campaign_codes and again.get_id() == ann.get_id()
    error = Forbidden("Ticket %(ticket)s is not on a recount sheet of yours.", field="ticket", ticket="000001/2025")
    back = pickle.loads(pickle.dumps(error))
    assert (type(back), back.message, back.field, back.params) == (Forbidden, error.message, "ticket",
                                                                   {"ticket": "000001/2025"})


def test_tablets_counts_go_through_the_writer_socket(s, app, tmp_path):
    """The writer listening on its socket (as ``countapp serve`` starts it), two counts sent at once by two
    workers' threads: both written, each answered with its own outcome; an unknown ticket's error comes
    back as the error the tablet path raises."""
    path = str(tmp_path / "counts.sock")
    stop = threading.Event()
    writer = threading.Thread(target=count_writer.serve, args=(app, path), kwargs={"stop": stop})
    writer.start()
    try:
        for _ in range(200):
            if (tmp_path / "counts.sock").exists():
                break
            threading.Event().wait(0.05)
        ann, ben = session_user("ann"), session_user("ben")
        answers = {}

        def send(name, request):
            answers[name] = count_writer.submit(path, request)
            count_writer._drop_connection()

        threads = [threading.Thread(target=send, args=(name, request)) for name, request in (
            ("a", CountRequest(CODE, _input(s.tickets["A-1@L-01"], 1, "1200", {"client_id": "w-1"}), ann)),
            ("b", CountRequest(CODE, _input(s.tickets["A-1@L-02"], 1, "30", {}), ben)),
            ("c", CountRequest(CODE, _input("999999/2025", 1, "1", {}), ann)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop.set()
        writer.join()
    assert answers["a"].created and answers["a"].view["client_id"] == "w-1"
    assert answers["b"].created and answers["b"].view["quantity"] == "30"
    assert isinstance(answers["c"].error, NotFound) and answers["c"].error.field == "ticket"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 2


def test_with_no_writer_listening_nothing_is_sent_and_the_worker_is_told(tmp_path):
    """``submit`` answers None, and the web worker writes the count itself (web.api's add_count)."""
    assert count_writer.submit(str(tmp_path / "nobody.sock"), object()) is None


def test_frames_are_read_whole_or_kept_for_later():
    one, two = pickle.dumps({"n": 1}), pickle.dumps({"n": 2})
    data = bytearray(count_writer._LENGTH.pack(len(one)) + one + count_writer._LENGTH.pack(len(two)) + two[:3])
    assert count_writer.frames(data) == [{"n": 1}]
    data += two[3:]
    assert count_writer.frames(data) == [{"n": 2}] and data == bytearray()


def test_a_refused_count_is_an_error_of_the_tablet_path(s):
    outcome = submit_counts([CountRequest("NOPE", _input("000001/2025", 1, "1", {}), session_user("ann"))])[0]
    assert isinstance(outcome.error, CountappError) and outcome.error.params.get("code") == "NOPE"


def test_a_count_that_fails_alone_is_answered_as_a_fault(s, monkeypatch):
    """A fault that is not a refusal, in the batch and again alone: no answer but the fault (the web worker
    answers 500, the tablet keeps the count), nothing written, and the writer goes on."""
    from countapp.services import count_batch

    def broken(*_args, **_kwargs):
        raise RuntimeError("a fault in the rules")

    monkeypatch.setattr(count_batch.counting, "check_count", broken)
    outcome = submit_counts([CountRequest(CODE, _input(s.tickets["A-1@L-01"], 1, "1200", {}), session_user("ann"))])[0]
    assert (outcome.view, outcome.error) == (None, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 0
