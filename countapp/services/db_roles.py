"""PostgreSQL: the rights of the app's own role, so the running app cannot rewrite evidence.

Two roles (docs/production.md): the owner creates the tables (``countapp init``), the app's role
(``countapp serve``, ``countapp worker``) only uses them. On the tables that are never changed nor
deleted from, the app's role may only INSERT and SELECT; tickets it may also UPDATE (their status
moves on), never DELETE; TRUNCATE on nothing; the schema it may not alter (so it cannot drop the
triggers that refuse those changes either). ``countapp db grant-app-role ROLE`` prints these
statements or applies them; they are idempotent (every right is revoked first), so they are run
again after each ``countapp init`` that adds tables.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tickets.errors import CountappError, N_

from ..extensions import db

# The tables the triggers of migrations b1c0ffee0001, audit0001, sec0001 and cycle0001 guard: rows are added, never
# changed or deleted (tests/web/test_audit_append_only.py checks this list against the triggers).
INSERT_ONLY = ("ticket_void", "count", "audit_event", "ticket_range", "ticket_return", "ticket_decision",
               "instructions_version", "instructions_ack", "line_cause", "sign_off", "report_archive",
               "audit_sample", "audit_sample_line", "audit_count", "audit_floor_record", "audit_confirmation",
               "audit_seal", "cycle_count", "cycle_adjustment")
# Never deleted; a ticket's status changes (its identity does not: a trigger sees to that).
NEVER_DELETED = ("ticket",)
# Written by migrations only.
READ_ONLY = ("alembic_version",)

RIGHTS = {**{t: "SELECT, INSERT" for t in INSERT_ONLY}, **{t: "SELECT, INSERT, UPDATE" for t in NEVER_DELETED},
          **{t: "SELECT" for t in READ_ONLY}}
FULL = "SELECT, INSERT, UPDATE, DELETE"


def grant_statements(role: str, tables, *, schema: str = "public") -> list[str]:
    """The SQL that gives ``role`` the app's rights on ``tables`` (and on tables made later), nothing more."""
    preparer = postgresql.dialect().identifier_preparer
    who, where = preparer.quote(role), preparer.quote(schema)
    statements = [f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
                  f"REVOKE CREATE ON SCHEMA {where} FROM {who}",
                  f"GRANT USAGE ON SCHEMA {where} TO {who}"]
    for table in sorted(tables):
        statements.append(f"GRANT {RIGHTS.get(table, FULL)} ON {where}.{preparer.quote(table)} TO {who}")
    statements += [
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
        # Tables a later `countapp init` adds are usable at once; run this again after it to narrow them.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT {FULL} ON TABLES TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT USAGE, SELECT ON SEQUENCES TO {who}",
    ]
    return statements


def app_role_statements(role: str) -> list[str]:
    """``grant_statements`` for every table of the connected database (run as its owner)."""
    if db.engine.dialect.name != "postgresql":
        raise CountappError(N_("Database roles are PostgreSQL's: a SQLite database is one file, protected by the "
                               "rights on that file."), field="database")
    if not role or not role.strip():
        raise CountappError(N_("Name the app's role."), field="role")
    inspector = sa.inspect(db.engine)
    schema = inspector.default_schema_name
    return grant_statements(role.strip(), inspector.get_table_names(schema=schema), schema=schema)


def grant_app_role(role: str) -> list[str]:
    """Apply ``app_role_statements`` in one transaction; returns them."""
    statements = app_role_statements(role)
    exists = db.session.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role.strip()})
    if not exists:
        raise CountappError(N_("There is no role %(role)s on this PostgreSQL server: create it first (CREATE ROLE "
                               "%(role)s LOGIN PASSWORD '…')."), field="role", role=role.strip())
    for statement in statements:
        db.session.execute(sa.text(statement))
    db.session.commit()
    return statements
