"""The app served as in production for browser tests: ``countapp serve`` (gunicorn) and
``countapp worker`` (the job queue's consumer), each in its own process, on the test's database.

Nothing runs inline: a page that starts a job is answered by the web process and the job is done by
the worker process, exactly as on a server.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

COUNTAPP = str(Path(sys.executable).with_name("countapp"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A web server and a worker on one database; ``url`` is where a browser goes."""

    def __init__(self, database_url: str, folder: Path, *, workers: int = 2) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "COUNTAPP_DATABASE_URL": database_url,
                    "COUNTAPP_INSTANCE_PATH": str(folder / "instance"),
                    "COUNTAPP_SECRET_KEY": secrets.token_hex(32), "COUNTAPP_LANGUAGE": "en"}
        self.env.pop("COUNTAPP_REDIS_URL", None)  # the embedded default queue, in the instance folder
        self.processes: dict[str, subprocess.Popen] = {}
        self.workers = workers

    def _start(self, name: str, *args: str) -> None:
        log = open(self.folder / f"{name}.log", "wb")
        self.processes[name] = subprocess.Popen([COUNTAPP, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def start(self) -> "Served":
        subprocess.run([COUNTAPP, "init"], env=self.env, check=True, capture_output=True)
        self._start("web", "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers))
        self._start("worker", "worker")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"countapp {name} stopped at start:\n{self.log(name)}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"countapp serve did not answer /healthz within 60 s:\n{self.log('web')}")

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
