"""Many rows at once, straight to the driver, inside the current transaction: COPY on PostgreSQL, the
driver's executemany on SQLite.

For a counts file of 100,000 lines, SQLAlchemy's per-row work on an executemany (building each row's
parameters, then converting them) cost more than the database's own work. Here each value is converted
by its column's own type, exactly as SQLAlchemy would have sent it (an Enum as its value, JSON as
SQLAlchemy's text, a Decimal as a float on SQLite), so that what is stored is the same either way.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence

import sqlalchemy as sa

from .extensions import db


_NOTHING = object()


def _converters(table: sa.Table, columns: Sequence[str], dialect) -> list:
    """Each column's bind processor for ``dialect`` (None where the value goes as it is)."""
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]


def _converted(rows: Iterable[Sequence], converters: list) -> list[tuple]:
    """The rows with each value converted by its column's processor."""
    pairs = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
    if not pairs:
        return [tuple(row) for row in rows]
    # The last value of each column and what it became: consecutive rows often share one (an enum member,
    # None, a batch's time), and a processor is a function of its value alone.
    last = [(_NOTHING, None)] * len(pairs)
    out = []
    for row in rows:
        row = list(row)
        for k, (i, convert) in enumerate(pairs):
            value = row[i]
            seen, done = last[k]
            if value is not seen:
                done = convert(value)   # None too: JSON makes it 'null', as SQLAlchemy does
                last[k] = (value, done)
            row[i] = done
        out.append(tuple(row))
    return out


def copy_rows(psycopg_connection, target: str, rows: Iterable[Sequence]) -> None:
    """PostgreSQL's COPY of ``rows`` (values as the driver takes them) into ``target``, a table and its
    columns as COPY names them (``"book_line (campaign_id, item_id, ...)"``): several times faster than
    INSERT for many rows."""
    with psycopg_connection.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def insert_rows(table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert ``rows`` (sequences of values in ``columns`` order) into ``table``.

    Raises the driver's IntegrityError (``sa_connection.dialect.dbapi.IntegrityError``) when a constraint
    refuses a row; nothing of the statement is then kept, and the transaction is to be rolled back.
    """
    connection = db.session.connection()
    write_rows(connection.connection.driver_connection, connection.dialect, table, columns,
               converted_rows(connection.dialect, table, columns, rows))


def converted_rows(dialect, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence]) -> list[tuple]:
    """``rows`` as ``write_rows`` sends them to ``dialect``'s driver: the first half of ``insert_rows``."""
    return _converted(rows, _converters(table, columns, dialect))


def write_rows(raw, dialect, table: sa.Table, columns: Sequence[str], values: list[tuple]) -> None:
    """Insert rows already converted (``converted_rows``) on the driver's connection ``raw``: the second half
    of ``insert_rows``. It touches neither the session nor SQLAlchemy's connection, so it may run in a thread
    of its own while the caller prepares the next rows (``InBackground``)."""
    if not values:
        return
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        copy_rows(raw, f"{target} ({names})", values)
        return
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {target} ({names}) VALUES ({', '.join('?' * len(columns))})", values)
    finally:
        cursor.close()


def _arrays(dialect, table: sa.Table, columns: Sequence[str]) -> str:
    """PostgreSQL: one array parameter per column, cast to the column's type (``unnest`` takes them)."""
    return ", ".join(f"%s::{table.c[name].type.compile(dialect)}[]" for name in columns)


def unnest_insert(raw, dialect, table: sa.Table, columns: Sequence[str], values: list[tuple],
                  returning: Sequence[str] = ()):
    """PostgreSQL: insert rows already converted (``converted_rows``) in one INSERT ... SELECT FROM
    unnest(arrays) on the driver's connection ``raw``; the cursor, whose rows are ``returning``'s columns.
    Unlike COPY it can go in a pipeline with other statements (the count writer sends a batch's writes and
    its commit in one round trip), and for a batch of a few rows it costs less."""
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "
           f"SELECT * FROM unnest({_arrays(dialect, table, columns)})")
    if returning:
        sql += " RETURNING " + ", ".join(quote(name) for name in returning)
    cursor = raw.cursor()
    cursor.execute(sql, [list(column) for column in zip(*values)])
    return cursor


class DriverStatement:
    """A Core statement compiled once for psycopg, its parameters by name (``%(name)s``), to send on the
    driver's connection: in a pipeline, where SQLAlchemy's own execution cannot go (it reads each result at
    once). The statement's own constants (``round = 1``) go with the values given."""

    def __init__(self, statement) -> None:
        from sqlalchemy.dialects.postgresql import psycopg

        compiled = statement.compile(dialect=psycopg.dialect())
        self.sql = compiled.string
        self.constants = {name: value for name, value in compiled.params.items() if value is not None}

    def parameters(self, values: dict) -> dict:
        return {**self.constants, **values}


class InBackground:
    """One write at a time in a thread, while the caller goes on (checking the next lines of a file).

    The database's work on a batch (indexes, key checks; on SQLite the driver leaves Python's lock while a
    row goes in) then overlaps the caller's Python instead of adding to it: two cores are used, not one.
    The function gets the driver's connection, never the session (the session belongs to its thread); the
    caller uses the connection again only after ``wait``. What the write raised is raised by ``wait``.
    """

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self, function: Callable[..., None], *args) -> None:
        """Wait for the write under way (raising what it raised), then start ``function(*args)``."""
        self.wait()

        def run():
            try:
                function(*args)
            except BaseException as error:   # handed to the caller by wait()
                self.error = error

        self.thread = threading.Thread(target=run, name="bulk-write", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        """Wait for the write under way, if any; raise what it raised."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        error, self.error = self.error, None
        if error is not None:
            raise error


def update_rows(table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Set ``columns`` of the rows of ``table`` whose id is each row's first value (``(id, *values)``).

    PostgreSQL: one UPDATE ... FROM unnest(arrays) for all rows (one round trip); SQLite: an executemany."""
    connection = db.session.connection()
    write_updates(connection.connection.driver_connection, connection.dialect, table, columns,
                  converted_updates(connection.dialect, table, columns, rows))


def converted_updates(dialect, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence]) -> list[tuple]:
    """``rows`` (``(id, *values)``) as ``write_updates`` sends them to ``dialect``'s driver: the first half of
    ``update_rows``."""
    return _converted(rows, [None, *_converters(table, columns, dialect)])


def write_updates(raw, dialect, table: sa.Table, columns: Sequence[str], values: list[tuple]) -> None:
    """Update rows already converted (``converted_updates``) on the driver's connection ``raw``: the second half
    of ``update_rows``. Like ``write_rows``, it may run in a thread of its own (``InBackground``)."""
    if not values:
        return
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        arrays = _arrays(dialect, table, ("id", *columns))
        sets = ", ".join(f"{quote(name)} = v.{quote(name)}" for name in columns)
        listed = ", ".join(quote(name) for name in ("id", *columns))
        with raw.cursor() as cursor:
            cursor.execute(f"UPDATE {target} AS t SET {sets} FROM unnest({arrays}) AS v({listed}) WHERE t.id = v.id",
                           [list(column) for column in zip(*values)])
        return
    sets = ", ".join(f"{quote(name)} = ?" for name in columns)
    cursor = raw.cursor()
    try:
        cursor.executemany(f"UPDATE {target} SET {sets} WHERE id = ?", [(*row[1:], row[0]) for row in values])
    finally:
        cursor.close()
