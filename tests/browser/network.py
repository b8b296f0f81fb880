"""The Wi-Fi between a tablet and the server, for browser tests: it goes down at both ends.

Chromium's offline emulation (``context.set_offline``) alone lets through some requests that a service
worker passes on to the network, so the server end drops too: every connection is reset while the network
is down. ``Network`` does it inside a WSGI app served in the test's process; ``Proxy`` does it in front of a
server in another process (``served.Served``): the tablet's browser context goes to ``proxy.url``.
"""
from __future__ import annotations

import socket
import struct
import threading

RESET = struct.pack("ii", 1, 0)   # SO_LINGER on, 0 s: close() sends a reset, as a dropped link does


def offline(context, network, down: bool = True) -> None:
    """The tablet loses (or finds again) the network: the browser's offline mode and the server end."""
    network.down = down
    context.set_offline(down)


class Network:
    """WSGI middleware: while it is down, every connection that reaches the server is reset."""

    def __init__(self, app):
        self.app, self.down = app, False

    def __call__(self, environ, start_response):
        if self.down:
            connection = environ.get("werkzeug.socket")
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
            connection.shutdown(socket.SHUT_RDWR)
            start_response("503 Service Unavailable", [])
            return [b""]
        return self.app(environ, start_response)


class Proxy:
    """A TCP relay on a free port to a server on ``port``; while ``down`` it resets every connection, those
    open (keep-alive) and those that come."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.target = (host, port)
        self.listener = socket.create_server((host, 0))
        self.url = f"http://{host}:{self.listener.getsockname()[1]}"
        self._down = False
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def down(self) -> bool:
        return self._down

    @down.setter
    def down(self, value: bool) -> None:
        self._down = value
        if value:
            with self._lock:
                dropped, self._open = self._open, set()
            for sock in dropped:
                self._reset(sock)

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
            sock.close()
        except OSError:
            pass

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._down:
                self._reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                self._reset(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self._lock:
            for sock in (source, sink):
                if sock in self._open:
                    self._open.discard(sock)
                    sock.close()

    def close(self) -> None:
        self._closed = True
        self.down = True
        self.listener.close()
