"""Long work off the request: a thread in the app's process, its progress in a small JSON file.

A file (not a table) holds the progress so that a long import can report it while its own
transaction still holds SQLite's write lock, and so that any worker of the server can answer
the page that polls it.
"""
from __future__ import annotations

import json
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path

from flask import current_app, has_app_context

from tickets.errors import CountappError


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(path: Path, status: dict) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(status, default=str), encoding="utf-8")
    os.replace(tmp, path)


def status(job_id: str) -> dict | None:
    if not job_id or not all(c in "0123456789abcdef" for c in job_id):
        return None
    path = _folder() / f"{job_id}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


class Progress:
    """Handed to the job's function: ``progress(done, total=None, message=None)``; written at most 4×/s."""

    def __init__(self, path: Path, status: dict) -> None:
        self.path, self.status, self._last = path, status, 0.0

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        self.status["done"] = done
        if total is not None:
            self.status["total"] = total
        if message is not None:
            self.status["message"] = message
        now = time.monotonic()
        if now - self._last > 0.25:
            self._last = now
            _write(self.path, self.status)

    def finish(self, **fields) -> None:
        self.status.update(fields)
        _write(self.path, self.status)


def start(kind: str, campaign: str, function: Callable[..., dict], *args, wait: bool | None = None, **kwargs) -> str:
    """Run ``function(progress, *args, **kwargs)`` in a thread; its dict result lands in the status."""
    job_id = uuid.uuid4().hex
    path = _folder() / f"{job_id}.json"
    state = {"id": job_id, "kind": kind, "campaign": campaign, "state": "running", "done": 0, "total": None,
             "message": "", "result": None, "error": None, "started": time.time()}
    progress = Progress(path, state)
    progress.finish()
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            from ..extensions import db

            try:
                result = function(progress, *args, **kwargs)
                progress.finish(state="done", result=result, finished=time.time())
            except CountappError as error:
                db.session.rollback()
                progress.finish(state="failed", error={"message": error.message, "params": error.params,
                                                       "field": error.field}, finished=time.time())
            except Exception:  # noqa: BLE001 — the page must say it failed rather than spin for ever
                db.session.rollback()
                app.logger.error("job %s failed:\n%s", job_id, traceback.format_exc())
                progress.finish(state="failed", error={"message": "Unexpected error: see the server log.",
                                                       "params": {}, "field": None}, finished=time.time())
            finally:
                db.session.remove()

    # Tests run jobs inline so that they see the result at once.
    if wait if wait is not None else (has_app_context() and current_app.config.get("TESTING")):
        run()
    else:
        threading.Thread(target=run, name=f"job-{kind}-{job_id[:8]}", daemon=True).start()
    return job_id
