"""Imports of ERP exports: book stock, movements, opening values.

The whole file is checked (``countapp.filecheck``) and every error is listed; nothing is written
unless the whole file is good, and then in one transaction. A stock file is read once: checked and
written chunk by chunk in that transaction, rolled back whole when a line is bad (even the last), so
that memory holds one chunk, not the file.
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_decimal, gettext, ngettext

from tickets.errors import CountappError, N_

from .. import filecheck, tabular
from ..filecheck import STOCK_CHUNK, ImportRefused  # noqa: F401 - callers catch imports.ImportRefused
from ..extensions import db
from ..i18n import message_gettext
from ..models import (BookLine, Campaign, CampaignStatus, Item, Location, Movement, OpeningBalance, Site, Zone)
from . import audit
from . import campaigns as campaign_service
from .stock_writer import StockWriter, bulk_writes

KINDS = ("stock", "movements", "opening")
PREVIEW_ERRORS = 200
PREVIEW_ROWS = 15


def error_text(error, gettext_=None) -> str:
    """An import error's message alone (without file and line), translated when ``gettext_`` is given."""
    return error.text(gettext_)


def fiscal_year(campaign: Campaign) -> tuple[date, date]:
    """First and last day of the campaign's fiscal year, which ends on the closing date."""
    closing = campaign.closing_date
    try:
        start = closing.replace(year=closing.year - 1) + timedelta(days=1)
    except ValueError:  # closing on 29 February
        start = date(closing.year - 1, 3, 1)
    return start, closing


def movement_window(campaign: Campaign) -> tuple[date, date]:
    """The span a movement (other than ``opening``) may move a figure in: the fiscal year's first
    day to the latest of the closing, count (campaign's and zones') and stock dates (issue 18)."""
    from .. import campaign_settings

    dates = [campaign.closing_date, campaign.count_date, *campaign_settings.count_dates(campaign.settings).values()]
    if campaign.stock_date:
        dates.append(campaign.stock_date)
    return fiscal_year(campaign)[0], max(dates)


# What an uploaded file may hold (tabular.Limits); each can be set by its COUNTAPP_* variable.
LIMIT_SETTINGS = {"max_rows": "COUNTAPP_XLSX_MAX_ROWS", "max_columns": "COUNTAPP_XLSX_MAX_COLUMNS",
                  "max_cell": "COUNTAPP_XLSX_MAX_CELL", "max_uncompressed": "COUNTAPP_XLSX_MAX_BYTES",
                  "max_ratio": "COUNTAPP_XLSX_MAX_RATIO", "max_shared_strings": "COUNTAPP_XLSX_MAX_TEXTS"}


def file_limits() -> tabular.Limits:
    """The limits on import files: the app's settings, else the environment, else ``tabular.LIMITS``."""
    values = {}
    for name, key in LIMIT_SETTINGS.items():
        raw = current_app.config.get(key) or os.environ.get(key)
        try:
            if raw not in (None, "") and int(raw) > 0:
                values[name] = int(raw)
        except (TypeError, ValueError):
            pass
    return tabular.Limits(**values) if values else tabular.LIMITS


def _check(kind: str, campaign: Campaign, path, filename: str, *, keep_rows: bool = True, on_rows=None):
    """Read and check the whole file; the result lists every error and, when there is none, the rows
    (for a stock file given ``on_rows``: handed to it chunk by chunk, see ``filecheck.check_stock``)."""
    if kind not in KINDS:
        raise CountappError(N_("Unknown import %(kind)s: choose stock, movements or opening."), field="kind",
                            kind=kind)
    options: dict = {}
    if kind == "stock":
        options["keep_rows"] = keep_rows
        if on_rows is not None:
            options.update(on_rows=on_rows, chunk=current_app.config.get("COUNTAPP_IMPORT_CHUNK") or STOCK_CHUNK)
    elif kind == "movements":
        start, end = movement_window(campaign)
        options.update(
            known_items=set(db.session.scalars(sa.select(Item.reference).where(Item.campaign_id == campaign.id))),
            known_locations=set(db.session.scalars(sa.select(Location.code)
                                                   .where(Location.campaign_id == campaign.id))),
            fiscal_year_start=start, fiscal_year_end=end)
    return filecheck.check_file(kind, path, filename=filename, limits=file_limits(), **options)


def _check_campaign_accepts(kind: str, campaign: Campaign) -> None:
    campaign_service.check_not_closed(campaign)
    if kind == "stock" and campaign.status != CampaignStatus.PLANNING:
        raise CountappError(
            N_("Counting has started in campaign %(code)s: its book stock snapshot can no longer be replaced."),
            field="file", code=campaign.code)


# --- writers -------------------------------------------------------------------------------------

def _write_movements(campaign: Campaign, rows, progress) -> dict:
    items = dict(db.session.execute(sa.select(Item.reference, Item.id).where(Item.campaign_id == campaign.id)).all())
    locations = dict(db.session.execute(sa.select(Location.code, Location.id)
                                        .where(Location.campaign_id == campaign.id)).all())
    db.session.execute(sa.delete(Movement).where(Movement.campaign_id == campaign.id))
    batch, written = [], 0
    for row in rows:
        batch.append({"campaign_id": campaign.id, "item_id": items[row.reference],
                      "location_id": locations.get(row.location), "lot": row.lot or "", "date": row.date,
                      "quantity": row.quantity, "unit_cost": row.unit_cost,
                      "kind": getattr(row.kind, "value", row.kind), "document": row.document or ""})
        written += 1
        if len(batch) >= 20_000:
            db.session.execute(sa.insert(Movement), batch)
            batch.clear()
            if progress:
                progress(written)
    if batch:
        db.session.execute(sa.insert(Movement), batch)
    return {"movements": written}


def _write_opening(campaign: Campaign, rows, progress) -> dict:
    db.session.execute(sa.delete(OpeningBalance).where(OpeningBalance.campaign_id == campaign.id))
    n = 0
    for row in rows:
        db.session.add(OpeningBalance(campaign_id=campaign.id, category=getattr(row.category, "value", row.category),
                                      opening_value=row.opening_value,
                                      opening_depreciation=row.opening_depreciation or 0, purchases=row.purchases))
        n += 1
    return {"categories": n}


def _stock_counts(result) -> dict:
    return {"lines": result.lines, "inserted": result.inserted, "updated": result.updated,
            "removed": result.removed, "zeroed": result.zeroed, "items": result.items,
            "locations": result.locations}


def _write(kind: str, campaign: Campaign, rows, progress) -> dict:
    if kind == "movements":
        return _write_movements(campaign, rows, progress)
    return _write_opening(campaign, rows, progress)


def _as_of(kind: str, campaign: Campaign, as_of) -> date | None:
    """The stock file's date (``--as-of``): a date near the closing date, for stock files only."""
    if as_of in (None, ""):
        return None
    if kind != "stock":
        raise CountappError(N_("Only a stock file has an as-of date."), field="as_of")
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of.strip())
        except ValueError:
            raise CountappError(N_("%(key)s must be a date (YYYY-MM-DD)."), field="as_of", key="as_of") from None
    if abs((as_of - campaign.closing_date).days) > campaign_service.MAX_DAYS_FROM_CLOSING:
        raise CountappError(N_("The stock date %(date)s is more than %(days)s days from the closing date %(closing)s."),
                            field="as_of", date=as_of.isoformat(), closing=campaign.closing_date.isoformat(),
                            days=campaign_service.MAX_DAYS_FROM_CLOSING)
    return as_of


def import_file(kind: str, code: str, path, *, filename: str | None = None, by=None,
                progress: Callable[[int], None] | None = None,
                on_checked: Callable[[int], None] | None = None, as_of=None) -> dict:
    """Check the whole file, then write it in one transaction; raise ImportRefused listing every error.

    ``as_of`` (stock only): the date the file's quantities are at; None means the campaign's count date.
    """
    campaign = campaign_service.get(code)
    _check_campaign_accepts(kind, campaign)
    as_of = _as_of(kind, campaign, as_of)
    filename = filename or Path(str(path)).name
    try:
        if kind == "stock":
            counts = _import_stock(campaign, path, filename, progress, on_checked)
        else:
            checked = _check(kind, campaign, path, filename)
            checked.raise_for_errors()
            if on_checked:
                on_checked(checked.lines)
            counts = _write(kind, campaign, checked.rows, progress)
        if kind == "movements":
            counts["outside_window"] = checked.outside_window
        after = {"file": filename, **counts}
        if kind == "stock":
            campaign.stock_date = as_of
            after["as_of"] = (as_of or campaign.count_date).isoformat()
        audit.record(f"import.{kind}", campaign=campaign, entity="file", entity_id=filename, user=by, after=after)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


def _import_stock(campaign: Campaign, path, filename: str, progress, on_checked) -> dict:
    """Check and write the stock file in one pass, chunk by chunk (the caller commits or rolls back)."""
    if on_checked:
        on_checked(None)   # the number of lines is known at the end only
    # The writer's exit, which waits for the chunk being written, comes before bulk_writes' settings are put back.
    with bulk_writes(), StockWriter(campaign, progress=progress) as writer:
        checked = _check("stock", campaign, path, filename, keep_rows=False, on_rows=writer.write)
        checked.raise_for_errors()   # chunks already written are rolled back by the caller
        return _stock_counts(writer.finish())


def describe(kind: str, counts: dict) -> str:
    """One sentence for the user, in their language, numbers grouped as they write them."""
    n = {key: format_decimal(value) for key, value in counts.items() if isinstance(value, int)}
    if kind == "stock":
        return ngettext("%(lines)s book line imported (%(inserted)s new, %(updated)s updated, %(removed)s removed); "
                        "%(items)s items, %(locations)s locations.",
                        "%(lines)s book lines imported (%(inserted)s new, %(updated)s updated, %(removed)s "
                        "removed); %(items)s items, %(locations)s locations.", counts["lines"], **n)
    if kind == "movements":
        text = ngettext("%(movements)s movement imported.", "%(movements)s movements imported.",
                        counts["movements"], **n)
        if counts.get("outside_window"):
            text += " " + ngettext(
                "%(num)s of them is outside the window (before the fiscal year or after the latest count and "
                "closing dates): kept, it moves no figure.",
                "%(num)s of them are outside the window (before the fiscal year or after the latest count and "
                "closing dates): kept, they move no figure.", counts["outside_window"])
        return text
    return ngettext("%(categories)s opening value imported.", "%(categories)s opening values imported.",
                    counts["categories"], **n)


# --- the upload page -------------------------------------------------------------------------------

def _uploads() -> Path:
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_upload(stream, filename: str, *, local_copy: bool = True) -> str:
    """Keep the uploaded file until it is imported; returns its token.

    The file goes to the database (the server that previews it may not be the one whose worker
    imports it) and, for the preview to read, to this machine's instance folder (``local_copy``).
    """
    from . import jobs

    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", filename or "upload")[-80:] or "upload"
    token = f"{uuid.uuid4().hex}__{safe}"
    data = stream.read()
    if local_copy:
        (_uploads() / token).write_bytes(data)
    jobs.store_upload(token, safe, data)
    return token


def _check_token(token: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{32}__[A-Za-z0-9._-]+", token or ""):
        raise CountappError(N_("This upload is unknown or has expired: send the file again."), field="file")


def upload_path(token: str) -> Path:
    """The upload as a file on this machine (fetched from the database when another server received it)."""
    from . import jobs

    _check_token(token)
    path = _uploads() / token
    if not path.exists():
        data = jobs.upload_data(token)
        if data is None:
            raise CountappError(N_("This upload is unknown or has expired: send the file again."), field="file")
        tmp = path.with_name(f".{token}.{uuid.uuid4().hex[:8]}")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


@dataclass
class Preview:
    kind: str
    upload: str
    filename: str
    lines: int = 0
    errors: list = field(default_factory=list)
    error_count: int = 0
    columns: list = field(default_factory=list)
    sample: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def preview(kind: str, campaign: Campaign, upload: str) -> Preview:
    """Check an uploaded file and show its errors, or its first lines.

    This machine's copy is removed once checked: a good file waits in the database for its confirmation
    (a day at most, see ``jobs.purge_uploads``); a file with errors cannot be confirmed and is dropped."""
    from . import jobs

    path = upload_path(upload)
    result = None
    try:
        result = _preview(kind, campaign, upload, path)
    finally:
        path.unlink(missing_ok=True)
        if result is None or result.error_count:
            jobs.discard_upload(upload)
    return result


def _preview(kind: str, campaign: Campaign, upload: str, path: Path) -> Preview:
    filename = upload.split("__", 1)[1]
    result = Preview(kind=kind, upload=upload, filename=filename)
    try:
        _check_campaign_accepts(kind, campaign)
        checked = _check(kind, campaign, path, filename, keep_rows=False)
    except CountappError as error:
        result.errors = [{"line": None, "column": error.field, "text": error.render(message_gettext)}]
        result.error_count = 1
        return result
    result.lines = checked.lines
    result.error_count = checked.error_count
    result.errors = [{"line": e.line, "column": e.header or e.column, "text": error_text(e, gettext)}
                     for e in checked.errors[:PREVIEW_ERRORS]]
    if not checked.error_count:
        head = checked.rows[:PREVIEW_ROWS]
        if not head and kind == "stock":  # a stock file is checked without keeping its rows: read the head
            with tabular.read_table(path, filename, limits=file_limits()) as table:
                head = filecheck.check_stock(_first(table, PREVIEW_ROWS), filename=filename).rows
        if head:  # typed values: the page shows them in the campaign's language
            result.columns = [c for c in head[0].__dataclass_fields__ if c != "line"]
            result.sample = [[getattr(row, c) for c in result.columns] for row in head]
        if kind == "stock" and db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)
                                                 .where(BookLine.campaign_id == campaign.id)):
            result.notes.append(gettext("This file replaces the book stock already loaded for this campaign."))
    return result


def _first(rows, n: int):
    for i, row in enumerate(rows):
        if i >= n:
            break
        yield row


def start_import_job(kind: str, campaign: Campaign, upload: str, *, by, as_of: str | None = None) -> str:
    """Queue the import of an upload (kept in the database until the job ends, for any server).

    ``as_of`` (stock only, ``YYYY-MM-DD``): the date the file's quantities are at."""
    from . import jobs

    check_can_start(kind, campaign)
    as_of = _as_of(kind, campaign, as_of)   # refuse a bad date before queueing
    _check_token(upload)   # refuse an unknown or expired upload at once (without a copy on this machine)
    if not jobs.upload_stored(upload):
        raise CountappError(N_("This upload is unknown or has expired: send the file again."), field="file")
    filename = upload.split("__", 1)[1]
    arguments = {"kind": kind, "code": campaign.code, "upload": upload, "filename": filename}
    if as_of:
        arguments["as_of"] = as_of.isoformat()
    return jobs.start(f"import.{kind}", campaign, run_import, arguments, by=by, uploads=(upload,))


JOB_KINDS = (*KINDS, "counts")


def check_can_start(kind: str, campaign: Campaign) -> None:
    """What the command line refuses before reading the file: an unknown kind, a closed campaign, a stock
    snapshot once counting has started."""
    if kind not in JOB_KINDS:
        raise CountappError(N_("Unknown import %(kind)s: choose stock, movements, opening or counts."), field="kind",
                            kind=kind)
    if kind == "counts":
        campaign_service.check_not_closed(campaign)
    else:
        _check_campaign_accepts(kind, campaign)


def run_import(progress, *, kind: str, code: str, upload: str, filename: str, as_of: str | None = None) -> dict:
    """The import job's task (services.jobs): a top-level function, its arguments plain JSON."""
    path = upload_path(upload)
    try:
        if kind == "counts":
            from . import count_import

            progress(0, total=None)
            counts = count_import.import_counts(code, path, filename=filename, by=progress.user, progress=progress)
        else:
            counts = import_file(kind, code, path, filename=filename, by=progress.user, progress=progress,
                                 on_checked=lambda n: progress(0, total=n), as_of=as_of)
    finally:
        path.unlink(missing_ok=True)
    return {"counts": counts, "summary": describe_job(kind, counts)}


def describe_job(kind: str, counts: dict) -> str:
    """The job's summary, in the requester's language (the task runs under their locale)."""
    if kind != "counts":
        return describe(kind, counts)
    rounds = counts["rounds"]
    return ngettext("%(num)d count imported (round 1: %(r1)s, round 2: %(r2)s, round 3: %(r3)s); tickets now final: "
                    "%(final)s, needing a third count: %(recount)s.",
                    "%(num)d counts imported (round 1: %(r1)s, round 2: %(r2)s, round 3: %(r3)s); tickets now final: "
                    "%(final)s, needing a third count: %(recount)s.",
                    sum(rounds.values()), r1=rounds[1], r2=rounds[2], r3=rounds[3], final=counts["final"],
                   recount=counts["recount"])


def summary(campaign: Campaign) -> dict:
    def count(model):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.campaign_id == campaign.id))

    return {"book_lines": count(BookLine), "items": count(Item), "locations": count(Location),
            "movements": count(Movement), "openings": count(OpeningBalance), "zones": count(Zone),
            "sites": count(Site)}
