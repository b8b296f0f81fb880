"""The queue under the jobs (services.jobs): Huey in Redis when ``COUNTAPP_REDIS_URL`` is set, else a
SQLite file in the instance folder. It carries only job ids; its one task runs ``jobs.run``.

``countapp worker`` runs a Huey consumer (``consumer``); ``countapp run`` keeps a small worker thread
in the development server's process (``EmbeddedWorker``).
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from pathlib import Path

from flask import Flask, current_app

log = logging.getLogger("countapp.jobs")


# --- the queue ----------------------------------------------------------------------------------

def queue(app: Flask | None = None):
    """The app's Huey: Redis when COUNTAPP_REDIS_URL is set, else a SQLite file in the instance folder."""
    app = app or current_app._get_current_object()
    found = app.extensions.get("countapp_queue")
    if found is None:
        url = app.config.get("COUNTAPP_REDIS_URL")
        if url:
            from huey import RedisHuey

            huey = RedisHuey("countapp", url=url, results=False)
        else:
            from huey import SqliteHuey

            huey = SqliteHuey("countapp", filename=str(queue_file(app)), results=False)
        from huey import crontab

        huey.periodic_task(crontab(minute="*/30"), name="purge_uploads")(sweep)
        found = app.extensions["countapp_queue"] = (huey, huey.task(name="run_job")(execute))
    return found[0]


def queue_file(app: Flask) -> Path:
    return Path(app.config.get("COUNTAPP_QUEUE_FILE") or Path(app.instance_path) / "queue.sqlite")


def queue_problem(app: Flask | None = None) -> str | None:
    """None when the queue answers, else what is wrong (for /healthz)."""
    try:
        huey = queue(app)
        huey.pending_count()
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        return f"{type(error).__name__}: {error}"
    return None


_worker_app: Flask | None = None


def bind_worker(app: Flask) -> None:
    """The app a worker process runs its tasks in (a consumer has no request to find it from)."""
    global _worker_app
    _worker_app = app


def execute(job_id: str) -> None:
    """The queue's only task: run job ``job_id`` in the worker's app."""
    from .jobs import run

    if _worker_app is None:
        raise RuntimeError("no app bound to this worker: call job_queue.bind_worker(app) first")
    run(_worker_app, job_id)


SWEEP_EVERY = 1800.0   # seconds between two sweeps of old uploads (services.jobs.purge_uploads)


def sweep() -> None:
    """The periodic task: uploads older than a day go (never confirmed, or left by a worker that died)."""
    from .jobs import purge_uploads

    if _worker_app is not None:
        try:
            purge_uploads(_worker_app)
        except Exception:  # noqa: BLE001 - a missed sweep is done by the next one
            log.error("sweeping old uploads failed:\n%s", traceback.format_exc())


def enqueue(app: Flask, job_id: str) -> None:
    queue(app)
    app.extensions["countapp_queue"][1](job_id)


# --- the consumer -------------------------------------------------------------------------------

def consumer(app: Flask, workers: int = 1):
    """A Huey consumer for ``countapp worker`` (its own process, the main thread)."""
    from .jobs import fail_stale

    bind_worker(app)
    huey = queue(app)
    failed = fail_stale(app)
    if failed:
        log.warning("jobs left running by a stopped worker, marked failed: %s", failed)
    sweep()
    return huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                check_worker_health=True, initial_delay=0.1, max_delay=1.0)


class EmbeddedWorker(threading.Thread):
    """The worker ``countapp run`` keeps in its own process: takes one job at a time from the queue."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="countapp-worker", daemon=True)
        self.app, self.stopped = app, threading.Event()

    def run(self) -> None:
        from .jobs import fail_stale

        bind_worker(self.app)
        huey = queue(self.app)
        fail_stale(self.app)
        swept = time.monotonic()
        sweep()
        while not self.stopped.is_set():
            if time.monotonic() - swept >= SWEEP_EVERY:   # no Huey scheduler in this thread: sweep here
                swept = time.monotonic()
                sweep()
            try:
                task = huey.dequeue()
                if task is None:
                    self.stopped.wait(0.5)
                    continue
                huey.execute(task)
            except Exception:  # noqa: BLE001 - the loop must outlive one bad message
                log.error("worker: %s", traceback.format_exc())
                self.stopped.wait(1.0)
