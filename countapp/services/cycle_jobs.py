"""A programme's stock or movements file imported in the background, as a campaign's imports are.

The upload waits in the database (``imports.save_upload``) so that any server's worker can read it; the
job is filed under the programme's code (``Job.campaign_code``), with the year-end campaign's id in
combined mode and none otherwise.
"""
from __future__ import annotations

from types import SimpleNamespace

from flask_babel import format_date, gettext, ngettext

from cycles.settings import date_value
from tickets.errors import CountappError, N_

from . import cycles as cycle_service
from . import imports as import_service
from . import jobs

KINDS = ("stock", "movements")


def start_import_job(kind: str, code: str, upload: str, *, by, as_of: str | None = None) -> str:
    """Queue the import of an upload into programme ``code``; the job's id."""
    programme = cycle_service.get(code)
    if kind not in KINDS:
        raise CountappError(N_("Unknown import %(kind)s: choose stock or movements."), field="kind", kind=kind)
    if as_of:
        date_value(as_of, "as_of")
    if not jobs.upload_stored(upload):
        raise CountappError(N_("This upload is unknown or has expired: send the file again."), field="file")
    owner = SimpleNamespace(id=programme.campaign_id, code=programme.code)
    arguments = {"kind": kind, "code": programme.code, "upload": upload, "filename": upload.split("__", 1)[1]}
    if as_of and kind == "stock":
        arguments["as_of"] = as_of
    return jobs.start(f"cycle.import.{kind}", owner, run_cycle_import, arguments, by=by, uploads=(upload,))


def run_cycle_import(progress, *, kind: str, code: str, upload: str, filename: str, as_of: str | None = None) -> dict:
    """The job's task (services.jobs): a top-level function, its arguments plain JSON."""
    path = import_service.upload_path(upload)
    progress(0, total=None)
    try:
        if kind == "stock":
            found = cycle_service.import_stock(code, path, filename=filename, as_of=as_of, by=progress.user)
            progress(found.lines, total=found.lines)
            summary = ngettext("%(num)d stock line imported (%(items)s items, %(places)s places), book quantities "
                               "at %(day)s.", "%(num)d stock lines imported (%(items)s items, %(places)s places), "
                               "book quantities at %(day)s.", found.lines, items=found.items, places=found.places,
                               day=format_date(found.as_of, "medium") if found.as_of else "—")
            counts = {"lines": found.lines, "items": found.items, "places": found.places,
                      "inserted": found.inserted, "updated": found.updated, "zeroed": found.zeroed}
        else:
            moved = cycle_service.import_movements(code, path, filename=filename, by=progress.user)
            progress(moved, total=moved)
            summary = ngettext("%(num)d movement imported.", "%(num)d movements imported.", moved)
            counts = {"movements": moved}
    finally:
        path.unlink(missing_ok=True)
    return {"counts": counts, "summary": summary or gettext("Imported.")}
