"""Serving: ``countapp serve`` (gunicorn, production), ``countapp worker`` (the job queue's
consumer) and ``countapp run`` (Flask's development server with a worker in the same process, so
the quick start stays one command)."""
from __future__ import annotations

import contextvars
import gc
import logging
import os

import click
from flask import current_app
from flask.cli import routes_command as flask_routes_command
from flask.cli import run_command as flask_run_command
from flask.cli import with_appcontext

from .cli import command, root, user_cli
from .cli_output import counted
from .count_writer import Supervisor, writer_command
from .count_writer import serve as serve_writer

MAX_DEFAULT_WORKERS = 8
# A count's request mostly waits for the count writer: threads let a process take several at once, and
# the more counts arrive together, the larger the writer's batches, whose cost is mostly per batch (issue
# 20: with 4 processes, SQLite went from 0.34 to 0.53 of the bare insert's rate, one thread to four; on a
# quiet machine, four to eight threads took SQLite from 995 to 1,059 counts/s, the bare insert from 1,417 to
# 1,258/s; PostgreSQL stayed at about 0.6 of the bare insert).
DEFAULT_THREADS = 8


def default_workers() -> int:
    """2 × cores + 1 (gunicorn's advice for synchronous workers), at most 8: a count is mostly database
    wait, and each worker holds its own connection pool."""
    return min(MAX_DEFAULT_WORKERS, 2 * (os.cpu_count() or 1) + 1)


def _gunicorn_logging(fmt: str) -> dict | None:
    """gunicorn's own loggers (errors, access) in JSON lines when COUNTAPP_LOG_FORMAT=json."""
    if fmt != "json":
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"json": {"()": "countapp.logs.JsonFormatter"}},
            "handlers": {"stdout": handler},
            "root": {"level": "INFO", "handlers": ["stdout"]},
            "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
                        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False}}}


def serve_options(host: str, port: int, workers: int, threads: int, timeout: int, fmt: str, *,
                  access_log: bool = True) -> dict:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        # A request that takes longer than this is a stuck worker (long work goes to the job queue).
        "timeout": timeout,
        "graceful_timeout": 30,    # a deploy lets requests in flight finish
        "keepalive": 5,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "forwarded_allow_ips": os.environ.get("COUNTAPP_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "preload_app": True,       # settings and catalogs checked once, before forking
        "proc_name": "countapp",
        # gunicorn ≥ 24 opens a control socket at one path per user: two servers on one machine would clash.
        "control_socket_disable": True,
    }
    config = _gunicorn_logging(fmt)
    if config:
        options["logconfig_dict"] = config
        options["access_log_format"] = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
    return options


def make_server(app, options: dict):
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        """gunicorn run from code, with the app already built (no import string, no shell)."""

        def load_config(self):
            for key, value in options.items():
                if key in self.cfg.settings:   # an older gunicorn lacks the newer settings
                    self.cfg.set(key, value)

        def load(self):
            # Called once in the master (preload_app), before the workers fork: what the app built so far
            # stays out of the collector's reach, so the workers' collections neither walk it nor write
            # to its pages (which the fork shares until written).
            gc.collect()
            gc.freeze()
            return app

    return Server()


@root.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every one).")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(1, 64),
              help=f"Processes (default: 2 × cores + 1, at most {MAX_DEFAULT_WORKERS}).")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=click.IntRange(1, 64),
              help="Threads per process (above 1, gunicorn's gthread workers).")
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(5, 3600),
              help="Seconds before a silent worker is restarted.")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="One line per request on stdout.")
@click.option("--count-writer/--no-count-writer", default=True, show_default=True,
              help="Write the tablets' counts a batch at a time in a process of their own (group commit).")
@with_appcontext
def serve_command(host, port, workers, threads, timeout, access_log, count_writer):
    """Serve the app for real (gunicorn); run `countapp worker` beside it for imports, prints, reports."""
    app = _with_pages()
    fmt = app.config.get("COUNTAPP_LOG_FORMAT", "text")
    options = serve_options(host, port, workers or default_workers(), threads, timeout, fmt, access_log=access_log)
    click.echo(f"countapp serving on http://{host}:{port} with {counted(options['workers'], 'worker')} "
               f"× {counted(threads, 'thread')}; jobs go to {_queue_name(app)}.", err=True)
    # The engine's pool must not cross the fork: each worker opens its own connections.
    from .extensions import db

    db.engine.dispose()
    size = getattr(db.engine.pool, "size", None)
    if size is not None and size() < threads:
        click.echo(f"Warning: {counted(threads, 'thread')} per worker but {counted(size(), 'database connection')} "
                   f"kept open per worker: set COUNTAPP_DB_POOL_SIZE={threads + 2}, or requests beyond "
                   f"{size()} at once open and close connections of their own.", err=True)
    writer = None
    if count_writer:
        writer = Supervisor(writer_command()).start()
        app.config["COUNTAPP_COUNT_WRITER"] = writer.path   # read by the workers' count view (web.api)
    try:
        # Outside the command's app context: a worker forked inside it would keep that context for every
        # request, and with it `g` (the logged-in user, the CSRF token) from one request to the next.
        contextvars.Context().run(make_server(app, options).run)
    finally:
        if writer is not None:
            writer.stop()


@root.command("count-writer", hidden=True)
@click.option("--socket", "path", required=True, help="The Unix socket to listen on.")
@click.option("--parent", type=int, help="Stop when this process (the server) is gone.")
@with_appcontext
def count_writer_command(path, parent):
    """The count writer of `countapp serve` (started by it): writes the tablets' counts a batch at a time."""
    serve_writer(current_app._get_current_object(), path, parent=parent)


def _queue_name(app) -> str:
    import re

    url = app.config.get("COUNTAPP_REDIS_URL")
    if url:
        return "Redis " + re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)
    from .services.job_queue import queue_file

    return f"the queue file {queue_file(app)}"


@root.command("worker")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Jobs run at the same time.")
@with_appcontext
def worker_command(threads):
    """Run the background jobs (imports, ticket prints, report drafts) queued by the web servers."""
    from .logs import configure
    from .services import job_queue, jobs

    app = current_app._get_current_object()
    configure(app.config.get("COUNTAPP_LOG_FORMAT", "text"), force=True)
    logging.getLogger("countapp.jobs").info("worker on %s, lease %s s", _queue_name(app), jobs.lease_seconds(app))
    job_queue.consumer(app, workers=threads).run()
    jobs.abandon(app)   # SIGTERM: the job in hand dies with this process; say so now, not after the lease


@root.command("purge-uploads")
@click.option("--older-than", default=24.0, show_default=True, type=click.FloatRange(0),
              help="Hours an upload is kept (never confirmed, or left by a worker that died).")
@with_appcontext
def purge_uploads_command(older_than):
    """Remove old uploads from the database and this machine's instance folder (the worker does it at its start
    and every half hour)."""
    from .services import jobs

    found = jobs.purge_uploads(current_app._get_current_object(), older_than=older_than * 3600)
    click.echo(f"{counted(found['stored'], 'upload')} removed from the database, {counted(found['files'], 'file')} "
               "from this machine.")


@click.pass_context
def _run_with_worker(ctx: click.Context, **kwargs):
    """Flask's development server, plus a worker thread taking the queued jobs (one command to try it)."""
    from flask.helpers import get_debug_flag

    from .services.job_queue import EmbeddedWorker

    reload = kwargs.get("reload")
    if reload is None:
        reload = get_debug_flag()
    app = _with_pages()
    # With the reloader, the first process only watches files: the worker belongs in the one that serves.
    if not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        EmbeddedWorker(app).start()
    # The development server answers outside the command's app context (see serve_command).
    contextvars.Context().run(ctx.invoke, flask_run_command, **kwargs)


run_command = click.Command(
    "run", callback=with_appcontext(_run_with_worker), params=flask_run_command.params,
    help="Run the development server with a job worker in the same process (production: serve + worker).",
    short_help="Development server and job worker.")
root.add_command(run_command)


@click.pass_context
def _routes_with_pages(ctx: click.Context, **kwargs):
    _with_pages()
    ctx.invoke(flask_routes_command, **kwargs)


root.add_command(click.Command("routes", callback=with_appcontext(_routes_with_pages),
                               params=flask_routes_command.params, help=flask_routes_command.help,
                               short_help="Show the routes for the app."))


def _with_pages():
    """The command's app with its pages: the command line builds it without them (``countapp.create_app``)."""
    from . import add_pages

    app = current_app._get_current_object()
    add_pages(app)
    return app


@command(user_cli, "token")
@click.argument("login")
def user_token(login):
    """A new personal API token for LOGIN (an ERP pushing imports); the previous one stops working."""
    from .services import users

    user = users.find_user(login)
    click.echo(users.new_api_token(user))
    click.echo(f"Send it as 'Authorization: Bearer <token>'; it acts as {user.login} ({user.role.value}) and is "
               "shown only once.", err=True)
