"""Sub-chains of the audit log (docs/audit.md): each user's counts chain on their own, joined into the
campaign's main chain by audit.join events that commit every sub-chain's head; batches are written with
one INSERT (audit.record_many). Tampering in a sub-chain is named, and so is a sub-chain cut or
rewritten after a join."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, User
from countapp.services import audit, audit_review, campaigns, counting

from ..scenario import build_scenario
from .test_audit_log import triggers_off
from .test_counting_concurrency import race


def _campaign(code="FY2025"):
    return campaigns.get(code)


def _events(chain=None):
    query = sa.select(AuditEvent).where(AuditEvent.campaign_id == _campaign().id)
    if chain is not None:
        query = query.where(AuditEvent.chain == chain)
    return db.session.scalars(query.order_by(AuditEvent.chain, AuditEvent.seq)).all()


def _count(s, who, key, quantity="5", round_=1):
    return counting.submit_count("FY2025", counting.CountInput(ticket=s.tickets[key], round=round_, quantity=quantity),
                                 user=s.users[who])


def _chain(s, who) -> str:
    return f"user:{s.users[who].id}"


@pytest.fixture
def counted(app, tmp_path):
    """ann counts two tickets and ben one (round 1): two sub-chains, nothing joined yet."""
    s = build_scenario(tmp_path)
    _count(s, "ann", "A-1@L-01", "1200")
    _count(s, "ann", "B-2@L-02", "7")
    _count(s, "ben", "C-3@L-03", "3")
    db.session.commit()
    return s


def test_each_users_counts_form_their_own_sub_chain(counted):
    s = counted
    assert "count.add" not in {e.action for e in _events(audit.MAIN)}
    for who, tickets in (("ann", 2), ("ben", 1)):
        events = _events(_chain(s, who))
        assert [e.action for e in events] == ["count.add"] * tickets
        assert [e.seq for e in events] == list(range(1, tickets + 1))
        assert events[0].prev_hash == audit.GENESIS
        assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    check = audit_review.verify(_campaign())
    assert check.ok, [b.render() for b in check.breaks]
    assert check.events == len(_events())
    assert {(c.chain, c.head_seq, c.joined_seq) for c in check.sub_chains} == {(_chain(s, "ann"), 2, 0),
                                                                               (_chain(s, "ben"), 1, 0)}
    assert check.unjoined == 3


def test_a_join_commits_every_sub_chains_head_into_the_main_chain(counted, runner):
    s = counted
    result = runner.invoke(args=["audit", "join", "FY2025"])
    assert result.exit_code == 0 and "2 sub-chains joined" in result.output, result.output
    join = _events(audit.MAIN)[-1]
    heads = {c: (_events(c)[-1].seq, _events(c)[-1].hash) for c in (_chain(s, "ann"), _chain(s, "ben"))}
    assert join.action == "audit.join" and join.after["reason"] == "on demand"
    assert {c: (h["seq"], h["hash"]) for c, h in join.after["chains"].items()} == heads
    check = audit_review.verify(_campaign())
    assert check.ok and check.unjoined == 0 and check.head_seq == join.seq
    again = runner.invoke(args=["audit", "join", "FY2025"])
    assert again.exit_code == 0 and "Nothing to join" in again.output
    assert _events(audit.MAIN)[-1].id == join.id
    verified = runner.invoke(args=["audit", "verify", "FY2025"])
    assert verified.exit_code == 0 and "2 sub-chains of count events checked" in verified.output


def test_verify_tells_how_many_counts_are_not_joined_yet(counted, runner):
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 0 and "3 count events are not joined" in result.output
    assert "countapp audit join FY2025" in result.output


def test_finishing_counting_and_sealing_join_the_sub_chains(counted):
    s = counted
    campaigns.finish_counting("FY2025", by=s.users["manager"], confirm_open=True)
    join = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "audit.join"))
    assert join.after["reason"] == "end of counting" and len(join.after["chains"]) == 2
    assert audit_review.verify(_campaign()).unjoined == 0
    head = audit_review.verify(_campaign()).head_seq
    sealed = audit_review.seal(_campaign(), by=s.users["auditor"])
    assert sealed.seq == head   # nothing new to join: the seal notes the head as it was
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "audit.join")) == 1


def test_a_changed_count_in_a_sub_chain_is_named_with_whose_counts(counted, runner):
    s = counted
    campaign = _campaign()
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("UPDATE audit_event SET after = :a WHERE campaign_id = :c AND chain = :ch "
                                   "AND seq = 1"), {"a": '{"quantity": "1"}', "c": campaign.id, "ch": _chain(s, "ann")})
    check = audit_review.verify(campaign)
    assert [(b.kind, b.chain, b.seq) for b in check.breaks] == [("content", _chain(s, "ann"), 1)]
    assert check.first_break.render().startswith(f"Counts of ann (sub-chain {_chain(s, 'ann')}): Event #1")
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 1 and "Counts of ann" in result.output and "was changed" in result.output


def test_a_count_deleted_inside_a_sub_chain_is_named(counted):
    s = counted
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("DELETE FROM audit_event WHERE chain = :ch AND seq = 1"), {"ch": _chain(s, "ann")})
    check = audit_review.verify(_campaign())
    assert [(b.kind, b.chain, b.seq) for b in check.breaks] == [("missing", _chain(s, "ann"), 1)]


def test_a_sub_chain_cut_after_a_join_is_named(counted):
    s = counted
    audit.join(_campaign(), reason="test")
    db.session.commit()
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("DELETE FROM audit_event WHERE chain = :ch AND seq = 2"), {"ch": _chain(s, "ann")})
    check = audit_review.verify(_campaign())
    assert [(b.kind, b.chain, b.seq) for b in check.breaks] == [("join_missing", _chain(s, "ann"), 2)]
    assert "cut short" in check.first_break.render()


def test_the_last_count_rewritten_with_the_key_is_caught_by_the_join(counted):
    """Even someone holding the key, who rewrites a sub-chain's last event and its hash, breaks the join."""
    s = counted
    audit.join(_campaign(), reason="test")
    db.session.commit()
    with triggers_off("audit_event") as connection:
        table = AuditEvent.__table__
        connection.execute(sa.text("UPDATE audit_event SET after = :a WHERE chain = :ch AND seq = 1"),
                           {"a": '{"quantity": "1"}', "ch": _chain(s, "ben")})
        row = connection.execute(sa.select(table).where(table.c.chain == _chain(s, "ben"), table.c.seq == 1)).one()
        connection.execute(sa.update(table).where(table.c.id == row.id).values(hash=audit.digest_of(row)))
    check = audit_review.verify(_campaign())
    assert [(b.kind, b.chain, b.seq) for b in check.breaks] == [("join_differs", _chain(s, "ben"), 1)]


def test_a_count_moved_to_another_users_sub_chain_is_named(counted):
    s = counted
    with triggers_off("audit_event") as connection:
        connection.execute(sa.text("UPDATE audit_event SET chain = :to, seq = 2 WHERE chain = :ch AND seq = 1"),
                           {"to": _chain(s, "ben"), "ch": _chain(s, "ann")})
    kinds = {(b.kind, b.chain) for b in audit_review.verify(_campaign()).breaks}
    assert ("missing", _chain(s, "ann")) in kinds and ("content", _chain(s, "ben")) in kinds


def test_record_many_chains_a_batch_in_order_with_one_insert(app, tmp_path):
    s = build_scenario(tmp_path)
    campaign = _campaign()
    before = audit_review.verify(campaign)
    rows = audit.record_many([{"action": "test.batch", "campaign": campaign, "entity": "ticket", "entity_id": n,
                               "after": {"n": n}, "user": s.users["manager"]} for n in range(5)]
                             + [{"action": "count.add", "campaign": campaign, "entity": "ticket", "entity_id": n,
                                 "after": {"n": n}, "user": s.users["manager"]} for n in range(3)])
    db.session.commit()
    assert [r["entity_id"] for r in rows] == ["0", "1", "2", "3", "4", "0", "1", "2"]
    main, counts = rows[:5], rows[5:]
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(main, main[1:]))
    assert [r["seq"] for r in counts] == [1, 2, 3] and {r["chain"] for r in counts} == {_chain(s, "manager")}
    check = audit_review.verify(campaign)
    assert check.ok, [b.render() for b in check.breaks]
    assert check.events == before.events + 8
    assert audit.record_many([]) == []
    with pytest.raises(TypeError, match="unknown event field"):
        audit.record_many([{"action": "x", "campaign": campaign, "who": "me"}])


def test_batches_chained_with_shared_heads_follow_one_another_and_verify(app, tmp_path):
    """``chained_rows`` with one ``heads`` for several batches (the counts file: each chain read once, a batch
    prepared before the one before is written) gives the chain ``record_many`` would have, batch after batch."""
    s = build_scenario(tmp_path)
    campaign = _campaign()
    before = audit_review.verify(campaign)
    heads: dict = {}
    batches = [[{"action": "count.add", "campaign": campaign, "entity": "ticket", "entity_id": n, "after": {"n": n},
                 "user": s.users["manager"]} for n in range(first, first + 3)] for first in (0, 3)]
    first, second = (audit.chained_rows(batch, heads) for batch in batches)
    dialect = db.session.connection().dialect
    for rows in (first, second):
        audit.write_values(db.session.connection().connection.driver_connection, dialect,
                           audit.insert_values(dialect, rows))
    db.session.commit()
    rows = first + second
    assert [r["seq"] for r in rows] == [rows[0]["seq"] + n for n in range(6)]
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(rows, rows[1:]))
    check = audit_review.verify(campaign)
    assert check.ok, [b.render() for b in check.breaks]
    assert check.events == before.events + 6


def test_verify_after_concurrent_counts_by_several_users(app, tmp_path):
    """Three counters of team 1 count at once, each several tickets: every sub-chain is whole and the log
    verifies, before and after the join."""
    s = build_scenario(tmp_path)
    numbers = list(s.tickets.values())
    counters = ["ann", "ben", "lead1"]
    ids = {login: s.users[login].id for login in counters}
    db.session.commit()

    def counter(login):
        def job():
            user = db.session.get(User, ids[login])
            for number in numbers[counters.index(login)::len(counters)]:
                counting.submit_count("FY2025", counting.CountInput(ticket=number, round=1, quantity="4"),
                                      user=user)
        return job

    results = race(app, [counter(login) for login in counters])
    assert not [r for r in results if isinstance(r, Exception)], results
    db.session.expire_all()
    check = audit_review.verify(_campaign())
    assert check.ok, [b.render() for b in check.breaks]
    assert sum(c.events for c in check.sub_chains) == len(numbers)
    assert {c.chain for c in check.sub_chains} == {f"user:{ids[login]}" for login in counters}
    audit.join(_campaign(), reason="test")
    db.session.commit()
    check = audit_review.verify(_campaign())
    assert check.ok and check.unjoined == 0
