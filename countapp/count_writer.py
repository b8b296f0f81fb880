"""The count writer: one process beside ``countapp serve``'s web workers that writes the tablets' counts
a batch at a time (``services.count_batch``), so that a count no longer pays for a transaction and a
commit of its own (issue 20: group commit).

* ``countapp serve`` starts it (``Supervisor``) with a Unix socket in a private folder (0700: only the
  server's own user reaches it, and the writer trusts what comes in, since a web worker checked the
  session and CSRF token already), restarts it if it stops, and stops it on the way out.
* A web worker (``submit``) sends the count and the session's user over its own connection and waits
  for the answer. Until the writer listens, and whenever it cannot be reached before the count is sent,
  the worker writes the count itself (``counting.submit_count``): the same rules, the same answer.
  If the connection breaks after the count was sent, the worker cannot know whether the batch got in:
  it answers 503, and the tablet, which keeps the count, sends it again with the same client id (a
  replay if it got in).
* The writer reads whatever has arrived, writes it as one batch, answers, and reads again: a batch is
  what came in while the last one was written, so one tablet alone waits no longer than before.

Frames are a 4-byte length and a pickle: both ends are this program, behind a socket of its own user.
"""
from __future__ import annotations

import logging
import os
import pickle
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

log = logging.getLogger("countapp.count_writer")

MAX_BATCH = 256
ANSWER_SECONDS = 30   # a web worker waits this long for its answer (gunicorn's timeout is longer)
_LENGTH = struct.Struct("!I")


class WriterLost(Exception):
    """The count was sent but no answer came back: it may or may not be in."""


# --- framing -------------------------------------------------------------------------------------

def _send(connection: socket.socket, value) -> None:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    connection.sendall(_LENGTH.pack(len(body)) + body)


def _receive_exactly(connection: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = connection.recv(left)
        if not chunk:
            raise ConnectionError("the count writer closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(connection: socket.socket):
    (size,) = _LENGTH.unpack(_receive_exactly(connection, _LENGTH.size))
    return pickle.loads(_receive_exactly(connection, size))


def frames(buffer: bytearray) -> list:
    """The whole frames at the start of ``buffer``, decoded, and removed from it (a partial one stays)."""
    found, start = [], 0
    while len(buffer) - start >= _LENGTH.size:
        (size,) = _LENGTH.unpack_from(buffer, start)
        end = start + _LENGTH.size + size
        if len(buffer) < end:
            break
        found.append(pickle.loads(bytes(buffer[start + _LENGTH.size:end])))
        start = end
    del buffer[:start]
    return found


# --- the web worker's side -----------------------------------------------------------------------

_local = threading.local()   # one connection per thread of a web worker (gthread workers have several)


def _connection(path: str) -> socket.socket | None:
    connection = getattr(_local, "connection", None)
    if connection is not None and getattr(_local, "pid", None) == os.getpid():
        return connection
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(ANSWER_SECONDS)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        return None
    _local.connection, _local.pid = connection, os.getpid()
    return connection


def _drop_connection() -> None:
    connection = getattr(_local, "connection", None)
    _local.connection = None
    if connection is not None:
        connection.close()


def submit(path: str, request):
    """The writer's ``count_batch.Outcome`` for ``request`` (a ``count_batch.CountRequest``); None when the
    writer cannot be reached and nothing was sent (the caller writes the count itself). Raises
    ``WriterLost`` when the count was sent and no answer came."""
    for _attempt in (1, 2):
        connection = _connection(path)
        if connection is None:
            return None
        try:
            _send(connection, request)
            break
        except OSError:
            # A connection the writer closed (it was restarted): nothing arrived. Once more, on a new one.
            _drop_connection()
    else:
        return None
    try:
        return _receive(connection)
    except (OSError, EOFError, pickle.UnpicklingError) as error:
        _drop_connection()
        raise WriterLost(str(error)) from error


# --- the writer ----------------------------------------------------------------------------------

def serve(app, path: str, *, parent: int | None = None, stop: threading.Event | None = None) -> None:
    """Listen on ``path`` and write what arrives, batch after batch, until SIGTERM (the batch in hand
    is finished first), ``stop`` is set, or ``parent`` (the server that started it) is gone."""
    from .services import count_batch

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(256)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    buffers: dict[socket.socket, bytearray] = {}   # what each web worker's connection sent, not yet whole

    def forget(connection: socket.socket) -> None:
        selector.unregister(connection)
        del buffers[connection]
        connection.close()

    batches = written = 0
    busy = 0.0   # seconds spent writing batches: near the time listened, the writer is the limit
    started = time.monotonic()
    print(f"count writer listening on {path}", file=sys.stderr, flush=True)
    with app.app_context():
        while not stop.is_set():
            if parent is not None and os.getppid() != parent:
                log.warning("count writer: the server is gone, stopping")
                break
            pending: list[tuple[socket.socket, object]] = []
            try:
                ready = selector.select(timeout=0.5)
            except InterruptedError:
                continue
            for key, _ in ready:
                if key.fileobj is listener:
                    connection, _ = listener.accept()
                    selector.register(connection, selectors.EVENT_READ)
                    buffers[connection] = bytearray()
                    continue
                connection = key.fileobj
                if not _read_available(connection, buffers[connection]):
                    forget(connection)
                    continue
                try:
                    pending.extend((connection, request) for request in frames(buffers[connection]))
                except Exception:   # noqa: BLE001 - not a frame of ours: that connection goes
                    log.exception("count writer: an unreadable frame, the connection is closed")
                    forget(connection)
            for start in range(0, len(pending), MAX_BATCH):
                batch = pending[start:start + MAX_BATCH]
                began = time.monotonic()
                outcomes = count_batch.submit_counts([request for _, request in batch])
                busy += time.monotonic() - began
                batches, written = batches + 1, written + len(batch)
                for (connection, _), outcome in zip(batch, outcomes):
                    try:
                        _send(connection, outcome)
                    except OSError:
                        pass   # that worker went away; its count is in, and a resend is a replay
    print(f"count writer stopping: {written} count(s) in {batches} batch(es), busy {busy:.1f} s of "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    listener.close()
    if os.path.exists(path):
        os.unlink(path)


def _read_available(connection: socket.socket, buffer: bytearray) -> bool:
    """Append what the connection has to ``buffer`` without waiting; False once it is closed."""
    try:
        chunk = connection.recv(1 << 16)
    except OSError:
        return False
    if not chunk:
        return False
    buffer += chunk
    while True:
        try:
            chunk = connection.recv(1 << 16, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not chunk:
            return False
        buffer += chunk


class Supervisor:
    """``countapp serve``'s count writer: started before the web workers, started again if it stops
    (the workers write counts themselves meanwhile), stopped with the server."""

    def __init__(self, command: list[str]) -> None:
        self.folder = tempfile.mkdtemp(prefix="countapp-writer-")   # 0700
        self.path = os.path.join(self.folder, "counts.sock")
        self.command = [*command, "--socket", self.path, "--parent", str(os.getpid())]
        self.process: subprocess.Popen | None = None
        self.owner = os.getpid()   # gunicorn's workers are forked inside the server's run(): not theirs to stop
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._keep_running, name="count-writer", daemon=True)

    def start(self) -> "Supervisor":
        self.process = subprocess.Popen(self.command)
        self.thread.start()
        return self

    def _keep_running(self) -> None:
        while not self.stopped.is_set():
            code = self.process.wait()
            if self.stopped.is_set() or code in (0, -signal.SIGTERM, -signal.SIGINT):
                return   # asked to stop (the server's own signal reaches its whole process group)
            log.error("the count writer stopped (exit %s): started again", code)
            time.sleep(1.0)
            if not self.stopped.is_set():
                self.process = subprocess.Popen(self.command)

    def stop(self) -> None:
        if os.getpid() != self.owner:
            return
        self.stopped.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=ANSWER_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def writer_command() -> list[str]:
    """How ``countapp serve`` starts the writer: this very program's ``count-writer`` command."""
    return [sys.executable, "-c", "from countapp.cli import main; main()", "count-writer"]
