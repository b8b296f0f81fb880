"""The tamper-evident audit log: the database refuses changes; altered, deleted, moved or
re-chained events are found and named (raw SQL, triggers disabled just for the tampering)."""
from __future__ import annotations

import json
from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from countapp.extensions import db
from countapp.models import AuditEvent, Campaign, Count, Ticket, TicketVoid
from countapp.models.audit_work import AUDITOR_TABLES
from countapp.services import audit, audit_review, campaigns, counting, tickets

from ..scenario import build_scenario


@pytest.fixture
def scenario(app, tmp_path):
    s = build_scenario(tmp_path)
    for key, who, round_, qty in (("A-1@L-01", "ann", 1, "1200"), ("A-1@L-01", "cat", 2, "1200"),
                                  ("D-4@L-04", "ann", 1, "9")):
        counting.submit_count("FY2025", counting.CountInput(ticket=s.tickets[key], round=round_, quantity=qty),
                              user=s.users[who])
    tickets.void("FY2025", s.blanks[0], reason="torn in two", by=s.users["manager"])
    db.session.commit()
    return s


def _campaign(code="FY2025") -> Campaign:
    return campaigns.get(code)


def _event_count(campaign) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.campaign_id == campaign.id))


@contextmanager
def _raw():
    """A connection of its own, committed at the end (the test session must not hold a lock meanwhile)."""
    db.session.commit()
    with db.engine.begin() as connection:
        yield connection
    db.session.expire_all()


@contextmanager
def triggers_off(table: str):
    """Raw SQL on ``table`` with its append-only triggers out of the way, for this block only."""
    with _raw() as connection:
        if connection.dialect.name == "sqlite":
            triggers = connection.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                                  "AND tbl_name = :t"), {"t": table}).all()
            assert triggers, f"no trigger on {table}"
            for name, _ in triggers:
                connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
            yield connection
            for _, sql in triggers:
                connection.execute(sa.text(sql))
        else:
            # Triggers do not fire for a replica session (superuser only, as the test server's postgres is).
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            yield connection
            connection.execute(sa.text("SET LOCAL session_replication_role = DEFAULT"))


def _check(code="FY2025"):
    return audit_review.verify(_campaign(code))


def _rehash_from(connection, campaign_id: int, seq: int, chain: str = "") -> None:
    """What a careful forger does: recompute the hash of ``seq`` and of every later event of its chain."""
    rows = connection.execute(sa.select(AuditEvent.__table__).where(AuditEvent.campaign_id == campaign_id,
                                                                    AuditEvent.chain == chain)
                              .order_by(AuditEvent.seq)).all()
    previous = audit.GENESIS
    for row in rows:
        if row.seq >= seq:
            digest = audit.digest_of(row, prev_hash=previous)
            connection.execute(sa.update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == row.id)
                               .values(prev_hash=previous, hash=digest))
            previous = digest
        else:
            previous = row.hash


# --- intact ------------------------------------------------------------------------------------------

def test_a_real_campaign_log_is_intact(scenario):
    check = _check()
    assert check.ok, [b.render() for b in check.breaks]
    assert check.events == _event_count(_campaign()) > 8
    last = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.campaign_id == _campaign().id)
                             .order_by(AuditEvent.seq.desc()).limit(1))
    assert (check.head_seq, check.head_hash) == (last.seq, last.hash)


def test_every_change_is_an_event_with_who_before_and_after(scenario):
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.campaign_id == _campaign().id)
                                .order_by(AuditEvent.chain, AuditEvent.seq)).all()
    actions = [e.action for e in events]
    for expected in ("campaign.create", "tickets.generate", "tickets.issue", "campaign.status", "count.add",
                     "ticket.void"):
        assert expected in actions
    void = next(e for e in events if e.action == "ticket.void")
    assert void.user_login == "manager" and void.before["status"] == "issued"
    assert void.after == {"status": "voided", "reason": "torn in two"}
    # each chain links its own events: the main chain, and each user's sub-chain of count events
    assert all(e.prev_hash == p.hash for p, e in zip(events, events[1:]) if e.chain == p.chain)
    assert {e.chain for e in events if e.action == "count.add"} == {f"user:{scenario.users[u].id}" for u in ("ann", "cat")}


def test_verify_command_exits_0_on_an_intact_log(scenario, runner):
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output and _check().head_hash in result.output


def test_verify_command_refuses_an_unknown_campaign(app, runner):
    result = runner.invoke(args=["audit", "verify", "NOPE"])
    assert result.exit_code == 1 and "NOPE" in result.output


# --- the database refuses -------------------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET user_login = 'mallory'",
    "UPDATE audit_event SET hash = prev_hash",
    "DELETE FROM audit_event",
    "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)",
    "DELETE FROM ticket",
    "UPDATE ticket SET sequence = sequence + 1000",
    "DELETE FROM count",
    "UPDATE count SET quantity = quantity + 1",
    "DELETE FROM ticket_void",
    "UPDATE ticket_void SET reason = 'nothing happened'",
])
def test_the_database_refuses_to_change_events_tickets_and_counts(scenario, statement):
    before = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in
              ("audit_event", "ticket", "count", "ticket_void")}
    db.session.commit()
    with pytest.raises(DBAPIError, match="countapp"):
        with _raw() as connection:
            connection.execute(sa.text(statement))
    after = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in before}
    assert after == before and _check().ok


@pytest.mark.parametrize("table", AUDITOR_TABLES)
@pytest.mark.parametrize("operation", ["UPDATE", "DELETE"])
def test_the_auditors_evidence_tables_are_append_only(app, table, operation):
    with _raw() as connection:
        if connection.dialect.name == "sqlite":
            names = {r[0] for r in connection.execute(sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": table})}
            assert {f"{table}_no_update", f"{table}_no_delete"} <= names
        else:
            names = {r[0] for r in connection.execute(sa.text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"),
                {"t": table})}
            assert f"{table}_append_only" in names
    statement = f"UPDATE {table} SET id = id" if operation == "UPDATE" else f"DELETE FROM {table}"
    # A trigger fires per row: put a row there first (through the test helper of test_audit_work).
    from .test_audit_work import one_row_in

    one_row_in(table)
    with pytest.raises(DBAPIError, match="countapp"):
        with _raw() as connection:
            connection.execute(sa.text(statement))


# --- tampering is found and named -----------------------------------------------------------------------

def test_a_changed_event_is_named(scenario, runner):
    campaign = _campaign()
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("UPDATE audit_event SET after = :a WHERE campaign_id = :c AND seq = 5"),
                           {"a": json.dumps({"quantity": "1"}), "c": campaign.id})
    check = _check()
    assert not check.ok
    assert (check.first_break.kind, check.first_break.seq) == ("content", 5)
    assert len(check.breaks) == 1  # the next event still chains to the stored hash: one break, one place
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 1
    assert "Event #5" in result.output and "changed after it was written" in result.output


@pytest.mark.parametrize("column, value", [("user_login", "'mallory'"), ("action", "'count.correct'"),
                                           ("entity_id", "'000999/2025'"), ("at", "'2025-01-01 00:00:00+00:00'"),
                                           ("before", "NULL"), ("entity", "'team'")])
def test_any_column_changed_breaks_the_hash(scenario, column, value):
    campaign = _campaign()
    void = db.session.scalar(sa.select(AuditEvent.seq).where(AuditEvent.campaign_id == campaign.id,
                                                              AuditEvent.action == "ticket.void"))
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text(f"UPDATE audit_event SET {column} = {value} WHERE campaign_id = :c AND seq = :s"),
                           {"c": campaign.id, "s": void})
    check = _check()
    assert [(b.kind, b.seq) for b in check.breaks] == [("content", void)]


def test_a_rewritten_and_rehashed_event_breaks_the_next_link(scenario):
    campaign = _campaign()
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("UPDATE audit_event SET user_login = 'mallory' WHERE campaign_id = :c AND seq = 4"),
                           {"c": campaign.id})
        row = connection.execute(sa.select(AuditEvent.__table__).where(
            AuditEvent.__table__.c.campaign_id == campaign.id, AuditEvent.__table__.c.seq == 4)).one()
        connection.execute(sa.text("UPDATE audit_event SET hash = :h WHERE id = :i"),
                           {"h": audit.digest_of(row), "i": row.id})
    check = _check()
    assert (check.first_break.kind, check.first_break.seq) == ("link", 5)
    assert "#4" in check.first_break.render()


@pytest.mark.parametrize("where", ["seq = 6", "seq IN (6, 7)", "seq = 1"])
def test_a_deleted_event_is_named(scenario, runner, where):
    campaign = _campaign()
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text(f"DELETE FROM audit_event WHERE campaign_id = :c AND {where}"), {"c": campaign.id})
    check = _check()
    first = 1 if where == "seq = 1" else 6
    assert (check.first_break.kind, check.first_break.seq) == ("missing", first)
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 1 and f"Event #{first} is missing" in result.output


def test_an_event_moved_to_another_campaign_is_missing_from_its_own(scenario, make_campaign):
    other = make_campaign("FY2026", year=2026)
    campaign = _campaign()
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("UPDATE audit_event SET campaign_id = :o, seq = 2 WHERE campaign_id = :c AND "
                                   "seq = 3"), {"o": other.id, "c": campaign.id})
    assert (_check().first_break.kind, _check().first_break.seq) == ("missing", 3)
    moved = _check("FY2026")
    assert not moved.ok and moved.first_break.seq == 2


def test_cutting_the_end_of_the_log_is_found_by_a_seal(scenario, runner):
    campaign = _campaign()
    auditor = scenario.users["auditor"]
    sealed = audit_review.seal(campaign, by=auditor)   # seals the head, itself logged after it
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("DELETE FROM audit_event WHERE campaign_id = :c AND seq >= :s"),
                           {"c": campaign.id, "s": sealed.seq})
    check = _check()
    assert (check.first_break.kind, check.first_break.seq) == ("seal_missing", sealed.seq)
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 1 and f"Event #{sealed.seq}" in result.output and "cut short" in result.output


def test_cutting_the_end_is_found_by_an_anchor_noted_earlier(scenario, runner):
    head = _check()
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("DELETE FROM audit_event WHERE campaign_id = :c AND seq = :s"),
                           {"c": _campaign().id, "s": head.head_seq})
    assert _check().ok  # the chain alone cannot tell that its last event went
    result = runner.invoke(args=["audit", "verify", "FY2025", "--anchor", f"{head.head_seq}:{head.head_hash}"])
    assert result.exit_code == 1 and f"Event #{head.head_seq}" in result.output
    bad = runner.invoke(args=["audit", "verify", "FY2025", "--anchor", "nonsense"])
    assert bad.exit_code == 1 and "SEQ:HASH" in bad.output


def test_a_log_rehashed_from_end_to_end_is_found_by_a_seal(scenario):
    campaign = _campaign()
    audit_review.seal(campaign, by=scenario.users["auditor"])
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("UPDATE audit_event SET after = :a WHERE campaign_id = :c AND chain = '' AND seq = 2"),
                           {"a": json.dumps({"forged": True}), "c": campaign.id})
        _rehash_from(connection, campaign.id, 2)
    check = _check()
    assert [b.kind for b in check.breaks] == ["seal_differs"]


def test_a_broken_log_cannot_be_sealed(scenario):
    campaign = _campaign()
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("DELETE FROM audit_event WHERE campaign_id = :c AND seq = 2"), {"c": campaign.id})
    from tickets.errors import CountappError

    with pytest.raises(CountappError, match="cannot be sealed"):
        audit_review.seal(campaign, by=scenario.users["auditor"])


def test_tampering_with_a_count_is_refused_and_leaves_the_log_intact(scenario):
    """Even with the count's own triggers off, a changed count shows against the logged event."""
    campaign = _campaign()
    with triggers_off("count") as connection:
        connection.execute(sa.text("UPDATE count SET quantity = 1 WHERE round = 1"))
    quantities = db.session.scalars(sa.select(Count.quantity).join(Ticket).where(Ticket.campaign_id == campaign.id,
                                                                                  Count.round == 1)).all()
    logged = [Decimal(e.after["quantity"]) for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.campaign_id == campaign.id, AuditEvent.action == "count.add"))
        if e.after["round"] == 1]
    assert sorted(quantities) != sorted(logged) and _check().ok
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketVoid)) == 1
