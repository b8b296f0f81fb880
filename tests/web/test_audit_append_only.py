"""Append-only, for real (issue 17, part 6).

- PostgreSQL refuses TRUNCATE on every table that is never deleted from (SQLite has no TRUNCATE).
- The app's own role may only INSERT and SELECT those tables: `countapp db grant-app-role` sets it,
  and the app counts through that role.
- The chain is keyed with a key kept outside the database: a forger holding only the database cannot
  rehash it; a chain written before keying still verifies, bound by the keyed event the migration adds;
  a wrong key is said plainly.
- `audit verify` says how many events it checked, the head, from where the chain is keyed, and that a
  cut tail is caught only against an anchor held elsewhere.
"""
from __future__ import annotations

import json
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from countapp import create_app
from countapp.extensions import db
from countapp.models import AuditEvent, Campaign, Count
from countapp.services import audit, audit_review, campaigns, counting, db_roles

from ..conftest import PASSWORD
from ..scenario import build_scenario

NEVER_DELETED = db_roles.INSERT_ONLY + db_roles.NEVER_DELETED
ONLY_POSTGRESQL = "PostgreSQL only: SQLite has no TRUNCATE (its DELETE FROM fires the per-row triggers, " \
                  "test_audit_log) and no roles (run with COUNTAPP_TEST_DB=postgresql)"


@pytest.fixture
def scenario(app, tmp_path):
    s = build_scenario(tmp_path)
    counting.submit_count("FY2025", counting.CountInput(ticket=s.tickets["A-1@L-01"], round=1, quantity="1200"),
                          user=s.users["ann"])
    db.session.commit()
    return s


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _campaign() -> Campaign:
    return campaigns.get("FY2025")


@contextmanager
def _raw(triggers: bool = True):
    """A connection of its own, committed at the end; ``triggers=False``: the append-only triggers out of the
    way (PostgreSQL: a replica session, superuser only; SQLite: dropped and put back)."""
    db.session.commit()
    with db.engine.begin() as connection:
        saved = []
        if not triggers:
            if connection.dialect.name == "sqlite":
                saved = connection.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                                   "AND tbl_name = 'audit_event'")).all()
                for name, _ in saved:
                    connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
            else:
                connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        yield connection
        for _, sql in saved:
            connection.execute(sa.text(sql))
    db.session.expire_all()


def _rehash(connection, campaign_id: int, *, key: bytes | None, from_seq: int = 1, to_seq: int | None = None,
            mark_plain: bool = True) -> None:
    """A forger's work: recompute the hashes of events from_seq..to_seq of every chain (plain SHA-256 without
    the key)."""
    table = AuditEvent.__table__
    present = {c["name"] for c in sa.inspect(connection).get_columns("audit_event")}
    keyed = "key_id" in present       # not before sec0001
    columns = [c for c in table.c if c.name in present]
    chained = "chain" in present      # sub-chains: not before perfaudit0001
    rows = connection.execute(sa.select(*columns).where(table.c.campaign_id == campaign_id)
                              .order_by(*([table.c.chain] if chained else []), table.c.seq)).all()
    previous, chain = audit.GENESIS, ""
    for row in rows:
        if chained and row.chain != chain:
            previous, chain = audit.GENESIS, row.chain
        if row.seq >= from_seq and (to_seq is None or row.seq <= to_seq):
            digest = audit.event_digest(previous, row.campaign_id, row.seq, row.at, row.user_login, row.action,
                                        row.entity, row.entity_id, row.before, row.after, key, chain)
            values = {"prev_hash": previous, "hash": digest}
            if mark_plain and keyed:
                values["key_id"] = None
            connection.execute(sa.update(table).where(table.c.id == row.id).values(**values))
            previous = digest
        else:
            previous = row.hash


# --- TRUNCATE ----------------------------------------------------------------------------------------------

@pytest.mark.postgresql
@pytest.mark.parametrize("statement", [f'TRUNCATE "{t}" CASCADE' for t in NEVER_DELETED]
                         + ["TRUNCATE campaign CASCADE", "TRUNCATE audit_event, count RESTART IDENTITY"])
def test_truncate_is_refused_on_every_table_never_deleted_from(scenario, statement):
    if not _postgresql():
        pytest.skip(ONLY_POSTGRESQL)
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    with pytest.raises(DBAPIError, match="countapp: TRUNCATE on .* is refused"):
        with _raw() as connection:
            connection.execute(sa.text(statement))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events > 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 1
    assert audit_review.verify(_campaign()).ok


def test_the_app_role_rights_match_the_triggers(app):
    """db_roles' lists are the tables the migrations guard: a new append-only table must join them."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            names = {r[0] for r in connection.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
            insert_only = {n.removesuffix("_no_update") for n in names if n.endswith("_no_update")}
            never_deleted = {n.removesuffix("_no_delete") for n in names if n.endswith("_no_delete")} - insert_only
            assert {n.removesuffix("_no_delete") for n in names if n.endswith("_no_delete")} >= insert_only
        else:
            triggers = connection.execute(sa.text(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal")).all()
            insert_only = {table for table, name in triggers if name == f"{table}_append_only"}
            never_deleted = {table for table, name in triggers if name == f"{table}_no_delete"} - insert_only
            truncate = {table for table, name in triggers if name == f"{table}_no_truncate"}
            assert truncate == insert_only | never_deleted
    assert insert_only == set(db_roles.INSERT_ONLY)
    assert never_deleted == set(db_roles.NEVER_DELETED)


# --- the app's own role --------------------------------------------------------------------------------------

def test_grant_app_role_needs_postgresql(app, runner):
    if _postgresql():
        pytest.skip("the SQLite answer; the PostgreSQL one is test_the_app_role_may_only_insert_and_select")
    result = runner.invoke(args=["db", "grant-app-role", "countapp_app"])
    assert result.exit_code == 1 and "PostgreSQL" in result.output


@pytest.fixture
def app_role(app):
    """A role of its own for this test (roles are cluster-wide), dropped at the end."""
    if not _postgresql():
        pytest.skip(ONLY_POSTGRESQL)
    name = f"countapp_app_{uuid.uuid4().hex[:10]}"
    db.session.execute(sa.text(f"CREATE ROLE {name} LOGIN PASSWORD 'role-pass-{name}'"))
    db.session.commit()
    engines = []
    yield name, engines
    for engine in engines:
        engine.dispose()
    db.session.rollback()
    db.session.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                       {"r": name})
    db.session.execute(sa.text(f"DROP OWNED BY {name}"))
    db.session.execute(sa.text(f"DROP ROLE {name}"))
    db.session.commit()


@pytest.mark.postgresql
def test_the_app_role_may_only_insert_and_select(scenario, app_role, runner, database_url):
    role, engines = app_role
    printed = runner.invoke(args=["db", "grant-app-role", role])
    assert printed.exit_code == 0, printed.output
    assert f'GRANT SELECT, INSERT ON public.audit_event TO {role};' in printed.output
    assert f'GRANT SELECT, INSERT, UPDATE ON public.ticket TO {role};' in printed.output
    assert "TRUNCATE" not in printed.output
    applied = runner.invoke(args=["db", "grant-app-role", role, "--apply"])
    assert applied.exit_code == 0 and role in applied.output, applied.output
    again = runner.invoke(args=["db", "grant-app-role", role, "--apply"])      # idempotent
    assert again.exit_code == 0, again.output

    url = sa.engine.make_url(database_url).set(username=role, password=f"role-pass-{role}")
    engine = sa.create_engine(url)
    engines.append(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT current_user")).scalar() == role
        assert connection.execute(sa.text("SELECT count(*) FROM audit_event")).scalar() > 5
    refused = [f'UPDATE "{t}" SET id = id' for t in db_roles.INSERT_ONLY]
    refused += [f'DELETE FROM "{t}"' for t in NEVER_DELETED]
    refused += [f'TRUNCATE "{t}" CASCADE' for t in NEVER_DELETED]
    refused += ["DROP TRIGGER audit_event_append_only ON audit_event", "ALTER TABLE audit_event DROP COLUMN hash",
                "CREATE TABLE mine (id int)"]
    for statement in refused:
        with engine.connect() as connection:
            with pytest.raises(DBAPIError) as error:
                connection.execute(sa.text(statement))
            # The role's rights refuse it (the triggers are a second line behind them).
            assert "permission denied" in str(error.value) or "must be owner" in str(error.value), statement
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE ticket SET status = status"))   # a ticket's status moves on

    # The app itself, connected as that role: a count goes in, with its audit event.
    as_role = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
                          "WTF_CSRF_ENABLED": False, "BABEL_DEFAULT_LOCALE": "en"})
    client = as_role.test_client()
    try:
        login = client.post("/login", data={"login": "cat", "password": PASSWORD})
        assert login.status_code in (302, 303)
        answer = client.post("/api/v1/counts", json={"ticket": scenario.tickets["A-1@L-01"], "round": 2,
                                                     "quantity": "1199"})
        assert answer.status_code in (200, 201), answer.get_data(as_text=True)
    finally:
        with as_role.app_context():
            db.engine.dispose()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 2
    last = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.campaign_id == _campaign().id)
                             .order_by(AuditEvent.id.desc()).limit(1))   # the newest, in cat's sub-chain
    assert last.action == "count.add" and last.user_login == "cat" and last.key_id == audit.current_key().key_id
    assert audit_review.verify(_campaign()).ok


# --- the keyed chain ---------------------------------------------------------------------------------------

def test_new_events_are_keyed_from_the_first_on(scenario):
    keys = set(db.session.scalars(sa.select(AuditEvent.key_id).where(AuditEvent.campaign_id == _campaign().id)))
    assert keys == {audit.current_key().key_id}
    check = audit_review.verify(_campaign())
    assert check.ok and check.keyed_from == 1 and check.key_id == audit.current_key().key_id
    assert check.as_dict()["keyed_from_seq"] == 1


def test_a_forger_without_the_key_cannot_rehash_the_chain(scenario, runner):
    campaign = _campaign()
    with _raw(triggers=False) as connection:
        connection.execute(sa.text("UPDATE audit_event SET after = :a WHERE campaign_id = :c AND seq = 4"),
                           {"a": json.dumps({"forged": True}), "c": campaign.id})
        _rehash(connection, campaign.id, key=None, from_seq=4)        # what anyone can compute
    check = audit_review.verify(campaign)
    assert (check.first_break.kind, check.first_break.seq) == ("content", 4)
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 1 and "Event #4" in result.output


def test_a_log_rewritten_whole_without_the_key_is_named(scenario, runner):
    campaign = _campaign()
    with _raw(triggers=False) as connection:
        connection.execute(sa.text("UPDATE audit_event SET user_login = 'mallory' WHERE campaign_id = :c AND seq = 2"),
                           {"c": campaign.id})
        _rehash(connection, campaign.id, key=None)
    check = audit_review.verify(campaign)
    assert [b.kind for b in check.breaks] == ["unkeyed"]
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 1 and "No event of this log is keyed" in result.output


def test_a_wrong_key_is_said_plainly(scenario, database_url):
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "COUNTAPP_AUDIT_KEY": "w" * 40})
    db.session.commit()
    with other.app_context():
        try:
            check = audit_review.verify(campaigns.get("FY2025"))
            result = other.test_cli_runner().invoke(args=["audit", "verify", "FY2025"])
        finally:
            db.session.remove()
            db.engine.dispose()
    assert [b.kind for b in check.breaks] == ["key"]
    assert result.exit_code == 1
    assert "the chain does not verify with this key" in result.output
    assert "Traceback" not in result.output and f"#{check.head_seq}" in result.output


def test_a_chain_written_before_keying_still_verifies_and_is_bound(app, tmp_path, runner):
    """An installation upgraded through migration sec0001: its plain chain verifies, the keyed event the
    migration appends binds it, and a forger rewriting the plain part is then caught."""
    from flask_migrate import downgrade, upgrade

    build_scenario(tmp_path)
    campaign_id = _campaign().id
    db.session.commit()
    db.engine.dispose()
    downgrade(revision="users0001")
    try:
        with _raw(triggers=False) as connection:
            _rehash(connection, campaign_id, key=None)       # as the code before sec0001 wrote it
            plain = connection.execute(sa.text("SELECT max(seq) FROM audit_event WHERE campaign_id = :c"),
                                       {"c": campaign_id}).scalar()
            if connection.dialect.name == "postgresql":
                assert connection.execute(sa.text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE "
                                                  "'%_no_truncate'")).scalar() == 0
    finally:
        db.engine.dispose()
        upgrade(revision="heads")
    db.engine.dispose()
    check = audit_review.verify(_campaign())
    assert check.ok, [b.render() for b in check.breaks]
    assert check.keyed_from == plain + 1 == check.head_seq
    boundary = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.campaign_id == campaign_id,
                                                               AuditEvent.seq == plain + 1))
    assert (boundary.action, boundary.user_login, boundary.after["key_id"]) == ("audit.keyed", "system",
                                                                                audit.current_key().key_id)
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 0, result.output
    assert f"from event #{plain + 1} on; events #1 to #{plain} were written before (plain SHA-256)" in result.output

    with _raw(triggers=False) as connection:
        connection.execute(sa.text("UPDATE audit_event SET user_login = 'mallory' WHERE campaign_id = :c AND seq = 2"),
                           {"c": campaign_id})
        _rehash(connection, campaign_id, key=None, from_seq=2, to_seq=plain, mark_plain=False)
    check = audit_review.verify(_campaign())
    assert (check.first_break.kind, check.first_break.seq) == ("link", plain + 1)


# --- what verify says ----------------------------------------------------------------------------------------

def test_verify_says_what_it_checked_and_what_only_an_anchor_catches(scenario, runner):
    check = audit_review.verify(_campaign())
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 0, result.output
    assert f"{check.events} events checked" in result.output
    assert f"Head: event #{check.head_seq} {check.head_hash}" in result.output
    assert "from the first event on" in result.output
    assert "caught only against an anchor held outside the database" in result.output
    anchored = runner.invoke(args=["audit", "verify", "FY2025", "--anchor", f"{check.head_seq}:{check.head_hash}"])
    assert anchored.exit_code == 0 and "1 anchor checked." in anchored.output
    assert "caught only against an anchor" not in anchored.output


def test_verify_speaks_french(scenario, runner, monkeypatch):
    from flask_babel import force_locale, gettext

    with force_locale("fr"):
        if gettext("Head: event #%(seq)s %(hash)s") == "Head: event #%(seq)s %(hash)s":
            pytest.skip("scripts/fr_audit.json is not merged into the French catalogue yet (the lead merges it)")
    monkeypatch.setenv("COUNTAPP_LANGUAGE", "fr")
    result = runner.invoke(args=["audit", "verify", "FY2025"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output and "événements vérifiés" in result.output
    assert "ancre" in result.output


def test_the_log_page_says_where_the_chain_is_keyed_and_what_an_anchor_is_for(scenario, client, login_as):
    login_as(client, scenario.users["auditor"])
    page = client.get("/campaigns/FY2025/audit/log", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "HMAC-SHA256, key id " + audit.current_key().key_id in page
    assert "--anchor SEQ:HASH" in page
