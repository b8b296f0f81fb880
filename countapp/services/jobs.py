"""Long work off the request: a queue (Huey) carries a job's id; the job's state, progress and files
live in the database, so any web worker on any machine answers its page.

- ``start`` writes a ``job`` row (queued) naming a top-level task function, its small JSON arguments,
  the requester and their language, then puts the job's id on the queue;
- a worker (``countapp worker``, or the thread ``countapp run`` starts) takes it and runs the task
  the one way there is (``run``): in an app context without a request, under the requester's locale;
- progress and a heartbeat go through a connection of their own, never the task's session: the task's
  transaction may hold SQLite's write lock for minutes, and then they go to a small file beside the
  database (one machine, by definition of SQLite) until the lock is released;
- a job "running" without a beat for longer than the lease (the worker was killed, the machine
  died) is marked failed by the next read of it or by the next worker start: never running for ever.
  Its transaction died with its connection, so imports stay all-or-nothing.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context
from flask_babel import force_locale, gettext
from sqlalchemy.pool import NullPool

from tickets.errors import CountappError, N_, Plural, translate

from ..extensions import db
from ..i18n import message_gettext
from ..models import Job, JobFile
from . import job_queue

log = logging.getLogger("countapp.jobs")

STATES = ("queued", "running", "done", "failed")
DEFAULT_LEASE = 30.0          # seconds without a beat before a running job counts as dead
FLUSH_EVERY = 0.5             # progress reaches the table at most twice a second
E_UNEXPECTED = N_("Unexpected error: the job stopped. The administrator finds the details in the server log.")
E_WORKER_STOPPED = N_("The worker stopped before the job ended (no sign of life for %(seconds)s seconds): "
                      "nothing of it was written. Start it again.")
E_WORKER_SHUT_DOWN = N_("The worker was shut down before the job ended: nothing of it was written. Start it again.")
E_QUEUE_DOWN = N_("The job queue is out of reach: nothing was started. Try again in a moment; if it lasts, "
                  "tell the administrator.")
_TABLE = Job.__table__


class QueueDown(CountappError):
    status = 503
_FILES = JobFile.__table__


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:   # SQLite gives back naive UTC times
        return moment.replace(tzinfo=timezone.utc)
    return moment


def lease_seconds(app: Flask | None = None) -> float:
    return float((app or current_app).config.get("COUNTAPP_JOB_LEASE") or DEFAULT_LEASE)


def beat_seconds(app: Flask | None = None) -> float:
    """The worker beats several times per lease, so one slow write never looks like a death."""
    return max(0.2, min(5.0, lease_seconds(app) / 6))


def _inline(app: Flask) -> bool:
    mode = app.config.get("COUNTAPP_JOBS")
    return mode == "inline" if mode else bool(app.config.get("TESTING"))


# --- the side connection: progress, beats, state --------------------------------------------------

def _side_engine(app: Flask) -> sa.engine.Engine:
    """A connection apart from the task's session, committing each write at once."""
    engine = app.extensions.get("countapp_jobs_engine")
    if engine is None:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        options = {"connect_args": {"check_same_thread": False}} if url.startswith("sqlite") else {}
        engine = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT", **options)
        app.extensions["countapp_jobs_engine"] = engine
    return engine


def _is_sqlite(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def _write(app: Flask, values: dict, *, job_id: str, where=None, wait: float = 30.0) -> int:
    """UPDATE the job row; on SQLite wait at most ``wait`` seconds for the write lock."""
    statement = sa.update(_TABLE).where(_TABLE.c.id == job_id).values(**values)
    if where is not None:
        statement = statement.where(where)
    with _side_engine(app).connect() as connection:
        if _is_sqlite(app):
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(wait * 1000)}")
        return connection.execute(statement).rowcount


def _beat_file(app: Flask, job_id: str) -> Path:
    return Path(app.instance_path) / "jobs" / f"{job_id}.json"


class Progress:
    """Handed to the task: ``progress(done, total=None, message=None)``; also ``progress.user`` (the
    requester in the task's session) and ``progress.save(name, data)`` for a file to download."""

    def __init__(self, app: Flask, job_id: str, user_id: int | None) -> None:
        self.app, self.job_id, self.user_id = app, job_id, user_id
        self.done, self.total, self.message = 0, None, ""
        self._lock = threading.Lock()
        self._flushed = 0.0

    @property
    def user(self):
        from ..models import User

        return db.session.get(User, self.user_id) if self.user_id else None

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        self.done = int(done)
        if total is not None:
            self.total = int(total)
        if message is not None:
            self.message = str(message)[:200]
        if time.monotonic() - self._flushed >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write progress and a beat; while the task holds SQLite's write lock, to the beat file instead."""
        with self._lock:
            self._flushed = time.monotonic()
            figures = {"done": self.done, "total": self.total, "message": self.message}
            try:
                _write(self.app, {**figures, "heartbeat_at": _now()}, job_id=self.job_id,
                       where=_TABLE.c.state == "running", wait=0.05 if _is_sqlite(self.app) else 30.0)
            except sa.exc.OperationalError:
                if not _is_sqlite(self.app):
                    raise
                path = _beat_file(self.app, self.job_id)
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps({**figures, "beat": time.time()}), encoding="utf-8")
                os.replace(tmp, path)

    def save(self, name: str, data: bytes) -> None:
        """Keep a file the job made (a PDF...) in the database, for whichever server is asked for it."""
        with _side_engine(self.app).connect() as connection:
            connection.execute(sa.insert(_FILES).values(token=f"{self.job_id}:{name}", job_id=self.job_id,
                                                        role="output", name=name, size=len(data), data=data,
                                                        created_at=_now()))


class _Heart(threading.Thread):
    """Beats every few seconds while the task runs, even while it computes without reporting."""

    def __init__(self, progress: Progress, every: float) -> None:
        super().__init__(name=f"beat-{progress.job_id[:8]}", daemon=True)
        self.progress, self.every, self.stopped = progress, every, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                self.progress.flush()
            except Exception:  # noqa: BLE001 - a missed beat is retried; the lease allows several
                log.warning("job %s: heartbeat failed", self.progress.job_id, exc_info=True)


# --- starting a job -----------------------------------------------------------------------------

def task_name(function: Callable) -> str:
    if "<" in function.__qualname__:
        raise TypeError(f"{function.__qualname__}: a job's task must be a top-level function")
    return f"{function.__module__}:{function.__qualname__}"


def _resolve(name: str) -> Callable:
    module, _, qualname = name.partition(":")
    if not module.startswith(("countapp.", "tests.")):
        raise ValueError(f"not a countapp task: {name}")
    return getattr(importlib.import_module(module), qualname)


def start(kind: str, campaign, function: Callable, arguments: dict, *, by=None, locale: str | None = None,
          uploads: tuple[str, ...] = ()) -> str:
    """Queue ``function(progress, **arguments)``; the arguments must be JSON (the queue carries only the id)."""
    from flask_babel import get_locale

    app = current_app._get_current_object()
    json.dumps(arguments)   # refuse at once what the worker could not read back
    if locale is None:
        locale = str(get_locale()) if has_request_context() else os.environ.get("COUNTAPP_LANGUAGE", "en")
    job_id = uuid.uuid4().hex
    db.session.add(Job(id=job_id, kind=kind, campaign_id=campaign.id, campaign_code=campaign.code,
                       user_id=getattr(by, "id", None), locale=locale, task=task_name(function),
                       arguments=arguments, state="queued", done=0, message=""))
    if uploads:
        db.session.execute(sa.update(JobFile).where(JobFile.token.in_(uploads), JobFile.role == "upload")
                           .values(job_id=job_id))
    db.session.commit()
    if _inline(app):
        # Tests: run it now, but as the worker does: another thread, an app context and no request.
        thread = threading.Thread(target=run, args=(app, job_id), name=f"job-{job_id[:8]}")
        thread.start()
        thread.join()
    else:
        try:
            job_queue.enqueue(app, job_id)
        except Exception as error:  # noqa: BLE001 - Redis or the queue file out of reach
            log.error("job %s: the queue is out of reach: %s", job_id, error)
            refused = QueueDown(E_QUEUE_DOWN)
            _write(app, {"state": "failed", "finished_at": _now(),
                         "error": {"message": E_QUEUE_DOWN, "params": {}, "field": None, "text": E_QUEUE_DOWN}},
                   job_id=job_id)
            _drop_uploads(app, job_id)   # the job will never run: its files go now
            raise refused from None
    return job_id


# --- running it (the worker) ----------------------------------------------------------------------

def _error(error: CountappError) -> dict:
    found = {"message": error.message, "params": {k: v if isinstance(v, (int, float)) or v is None else str(v)
                                                   for k, v in error.params.items()},
             "field": error.field, "text": error.render(message_gettext)}
    if getattr(error.message, "plural", None):   # kept so a reader in another language gets the right form
        found["plural"] = error.message.plural
    lines = getattr(error, "errors", None)
    if lines and "first" in found["params"]:   # the first error, in the requester's language too
        found["params"]["first"] = lines[0].render(message_gettext)
        found["text"] = translate(_stored_message(found), found["params"], message_gettext)
    if lines:
        found["errors"] = [{"line": e.line, "column": e.column, "text": e.text(gettext)} for e in lines[:200]]
    return found


def run(app: Flask, job_id: str) -> None:
    """Run a queued job to done or failed; a job already taken (or failed by its lease) is left alone."""
    with app.app_context():
        worker = worker_name()
        if not _write(app, {"state": "running", "started_at": _now(), "heartbeat_at": _now(), "worker": worker},
                      job_id=job_id, where=_TABLE.c.state == "queued"):
            log.info("job %s: not queued any more, skipped", job_id)
            return
        job = db.session.get(Job, job_id)
        kind, locale, task, arguments = job.kind, job.locale or "en", job.task, dict(job.arguments or {})
        progress = Progress(app, job_id, job.user_id)
        heart = _Heart(progress, beat_seconds(app))
        heart.start()
        finish: dict
        try:
            with force_locale(locale):
                result = _resolve(task)(progress, **arguments)
            finish = {"state": "done", "result": result}
        except CountappError as error:
            db.session.rollback()
            with force_locale(locale):
                finish = {"state": "failed", "error": _error(error)}
        except Exception:  # noqa: BLE001 - the page must say it failed rather than spin for ever
            db.session.rollback()
            log.error("job %s (%s) failed:\n%s", job_id, kind, traceback.format_exc())
            with force_locale(locale):
                finish = {"state": "failed", "error": {"message": E_UNEXPECTED, "params": {}, "field": None,
                                                       "text": gettext(E_UNEXPECTED)}}
        finally:
            heart.stopped.set()
            db.session.remove()
        heart.join()
        with progress._lock:
            _write(app, {**finish, "done": progress.done if finish["state"] == "failed" else
                         max(progress.done, progress.total or 0),
                         "total": progress.total, "message": progress.message, "finished_at": _now(),
                         "heartbeat_at": _now()}, job_id=job_id)
        _beat_file(app, job_id).unlink(missing_ok=True)
        _drop_uploads(app, job_id)
        log.info("job %s (%s) %s", job_id, kind, finish["state"])


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def abandon(app: Flask) -> int:
    """A worker shutting down (SIGTERM) marks the jobs it was running failed at once, rather than
    leaving them to the lease: their transactions end with the process."""
    error = {"message": E_WORKER_SHUT_DOWN, "params": {}, "field": None, "text": E_WORKER_SHUT_DOWN}
    with _side_engine(app).connect() as connection:
        found = list(connection.execute(sa.select(_TABLE.c.id).where(_TABLE.c.state == "running",
                                                                    _TABLE.c.worker == worker_name())).scalars())
    for job_id in found:
        try:
            _write(app, {"state": "failed", "error": error, "finished_at": _now()}, job_id=job_id,
                   where=_TABLE.c.state == "running", wait=0.1)
        except sa.exc.OperationalError:   # SQLite, the dying job's transaction still holds the lock
            log.warning("job %s: its worker is shutting down; the lease will mark it failed", job_id)
            continue
        log.warning("job %s: its worker is shutting down, marked failed", job_id)
    return len(found)


def _drop_uploads(app: Flask, job_id: str) -> None:
    """An upload is kept until its job ends, then removed (with this machine's copy)."""
    with _side_engine(app).connect() as connection:
        tokens = list(connection.execute(sa.select(_FILES.c.token).where(_FILES.c.job_id == job_id,
                                                                        _FILES.c.role == "upload")).scalars())
        connection.execute(sa.delete(_FILES).where(_FILES.c.job_id == job_id, _FILES.c.role == "upload"))
    for token in tokens:
        (Path(app.instance_path) / "uploads" / token).unlink(missing_ok=True)


def fail_stale(app: Flask | None = None, job_id: str | None = None) -> int:
    """Mark failed the running jobs whose worker stopped beating (all of them, or one); returns how many."""
    app = app or current_app._get_current_object()
    lease = lease_seconds(app)
    cutoff = _now() - timedelta(seconds=lease)
    query = sa.select(_TABLE.c.id).where(_TABLE.c.state == "running", _TABLE.c.heartbeat_at < cutoff)
    if job_id is not None:
        query = query.where(_TABLE.c.id == job_id)
    failed = 0
    with _side_engine(app).connect() as connection:
        candidates = list(connection.execute(query).scalars())
    for found in candidates:
        beat = _side_beat(app, found)
        if beat is not None and time.time() - beat < lease:
            continue   # alive, beating into the file while its transaction holds SQLite's lock
        seconds = int(lease)
        error = {"message": E_WORKER_STOPPED, "params": {"seconds": seconds}, "field": None,
                 "text": E_WORKER_STOPPED % {"seconds": seconds}}
        failed += _write(app, {"state": "failed", "error": error, "finished_at": _now()}, job_id=found,
                         where=sa.and_(_TABLE.c.state == "running", _TABLE.c.heartbeat_at < cutoff))
        _beat_file(app, found).unlink(missing_ok=True)
        log.warning("job %s: no heartbeat for %s s, marked failed (its worker stopped)", found, seconds)
    return failed


def _side_beat(app: Flask, job_id: str) -> float | None:
    if not _is_sqlite(app):
        return None
    try:
        return json.loads(_beat_file(app, job_id).read_text(encoding="utf-8")).get("beat")
    except (OSError, ValueError):
        return None


# --- reading it -----------------------------------------------------------------------------------

def _stored_message(error: dict) -> str:
    """The message of a stored failure, with its plural form when it has one."""
    return Plural(error["message"], error["plural"]) if error.get("plural") else error["message"]


def _translated_error(error: dict | None) -> dict | None:
    """The failure in the reader's language when there is a request, else as the requester saw it."""
    if not error:
        return error
    shown = dict(error)
    if has_request_context() and error.get("message"):
        try:
            shown["text"] = translate(_stored_message(error), error.get("params"), message_gettext)
        except (KeyError, TypeError, ValueError):
            shown["text"] = error.get("text") or error["message"]
    shown.setdefault("text", error.get("message"))
    return shown


def status(job_id: str) -> dict | None:
    """What the progress page shows: state, figures, result or error (None for an unknown id)."""
    if not job_id or len(job_id) != 32 or not all(c in "0123456789abcdef" for c in job_id):
        return None
    app = current_app._get_current_object()
    job = db.session.get(Job, job_id)
    if job is None:
        return None
    if job.state == "running" and _aware(job.heartbeat_at) < _now() - timedelta(seconds=lease_seconds(app)):
        if fail_stale(app, job_id):
            db.session.rollback()   # a new snapshot (SQLite's read transaction would still see "running")
            job = db.session.get(Job, job_id)
    found = {"id": job.id, "kind": job.kind, "campaign": job.campaign_code, "campaign_id": job.campaign_id,
             "state": job.state, "done": job.done, "total": job.total, "message": job.message,
             "result": job.result, "error": _translated_error(job.error), "locale": job.locale,
             "created": _aware(job.created_at).isoformat(),
             "started": _aware(job.started_at).isoformat() if job.started_at else None,
             "finished": _aware(job.finished_at).isoformat() if job.finished_at else None}
    if job.state == "running" and _is_sqlite(app):
        try:   # figures written while the task's own transaction held the write lock
            side = json.loads(_beat_file(app, job_id).read_text(encoding="utf-8"))
            if side.get("done", 0) >= (job.done or 0):
                found.update(done=side["done"], total=side.get("total"), message=side.get("message") or "")
        except (OSError, ValueError):
            pass
    return found


def requested_by(job_id: str, user) -> bool:
    return db.session.scalar(sa.select(Job.user_id).where(Job.id == job_id)) == getattr(user, "id", None)


def output(job_id: str, name: str) -> JobFile | None:
    """A file the job saved (``progress.save``), from whichever server is asked."""
    return db.session.scalar(sa.select(JobFile).where(JobFile.token == f"{job_id}:{name}",
                                                      JobFile.role == "output"))


def latest_output(campaign, kind: str, name: str) -> tuple[dict, JobFile] | None:
    """The newest done job of ``kind`` for the campaign that kept a file ``name``: (its result, the file)."""
    found = db.session.execute(
        sa.select(Job.result, JobFile).join(JobFile, JobFile.job_id == Job.id)
        .where(Job.campaign_id == campaign.id, Job.kind == kind, Job.state == "done", JobFile.role == "output",
               JobFile.name == name)
        .order_by(Job.finished_at.desc()).limit(1)).first()
    return (found[0], found[1]) if found else None


def forget_outputs_older_than(seconds: float, kind: str) -> None:
    """A kind of job's files are kept a while (to download again), then make room."""
    cutoff = _now() - timedelta(seconds=seconds)
    db.session.execute(sa.delete(JobFile).where(
        JobFile.role == "output", JobFile.created_at < cutoff,
        JobFile.job_id.in_(sa.select(Job.id).where(Job.kind == kind))))


# --- uploads ------------------------------------------------------------------------------------

UPLOAD_LIFETIME = 24 * 3600.0   # seconds an upload never confirmed (or left by a dead worker) is kept


def store_upload(token: str, name: str, data: bytes) -> None:
    """Keep an uploaded file in the database until its job ends (any server may run the job)."""
    cutoff = _now() - timedelta(seconds=UPLOAD_LIFETIME)   # uploads never confirmed make room after a day
    db.session.execute(sa.delete(JobFile).where(JobFile.role == "upload", JobFile.created_at < cutoff,
                                                JobFile.job_id.is_(None)))
    db.session.add(JobFile(token=token, role="upload", name=name[:200], size=len(data), data=data))
    db.session.commit()
    sweep_upload_folder(current_app._get_current_object())


def discard_upload(token: str) -> None:
    """An upload that will not be imported (its preview found errors): gone from the database and this machine."""
    db.session.execute(sa.delete(JobFile).where(JobFile.token == token, JobFile.role == "upload",
                                                JobFile.job_id.is_(None)))
    db.session.commit()
    if "/" not in token and "\\" not in token and not token.startswith("."):
        (Path(current_app.instance_path) / "uploads" / token).unlink(missing_ok=True)


def sweep_upload_folder(app: Flask, older_than: float = UPLOAD_LIFETIME) -> int:
    """Remove this machine's copies of uploads older than ``older_than`` seconds; returns how many."""
    folder = Path(app.instance_path) / "uploads"
    cutoff, removed = time.time() - older_than, 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except OSError:   # removed meanwhile by another worker
            continue
    return removed


def purge_uploads(app: Flask, older_than: float = UPLOAD_LIFETIME) -> dict:
    """The sweep (worker start, then periodically): uploads never confirmed older than ``older_than`` seconds,
    those of jobs that ended without dropping them (a worker that died), and this machine's old copies."""
    cutoff = _now() - timedelta(seconds=older_than)
    ended = sa.select(_TABLE.c.id).where(_TABLE.c.state.in_(("done", "failed")))
    with _side_engine(app).connect() as connection:
        if _is_sqlite(app):
            connection.exec_driver_sql("PRAGMA busy_timeout=5000")
        stored = connection.execute(sa.delete(_FILES).where(
            _FILES.c.role == "upload",
            sa.or_(sa.and_(_FILES.c.job_id.is_(None), _FILES.c.created_at < cutoff),
                   _FILES.c.job_id.in_(ended)))).rowcount
    files = sweep_upload_folder(app, older_than)
    if stored or files:
        log.info("uploads swept: %s from the database, %s files from %s", stored, files, app.instance_path)
    return {"stored": stored, "files": files}


def upload_stored(token: str) -> bool:
    """Whether an upload waits in the database, not yet taken by a job."""
    return db.session.scalar(sa.select(JobFile.token).where(JobFile.token == token, JobFile.role == "upload",
                                                            JobFile.job_id.is_(None))) is not None


def upload_data(token: str) -> bytes | None:
    return db.session.scalar(sa.select(JobFile.data).where(JobFile.token == token, JobFile.role == "upload"))
