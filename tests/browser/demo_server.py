"""The demo campaign behind werkzeug's threaded server (CSRF on, as in production), for browser tests
that look at pages rather than at the served set-up (tests/browser/served.py does that)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from countapp import create_app
from countapp.extensions import db

PASSWORD = "demo-pass"


@contextmanager
def demo_server(database_url: str, lines: int) -> Iterator[str]:
    """Yield the address of a server holding the demo campaign DEMO of ``lines`` book lines."""
    from werkzeug.serving import make_server

    from countapp.services.demo import load_demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "browser-test-" + "x" * 20})
    with app.app_context():
        load_demo(lines=lines, password=PASSWORD)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        with app.app_context():
            db.engine.dispose()
