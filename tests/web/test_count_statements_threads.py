"""Tablets' counts served by threads (``countapp serve --threads``): the count path's statements are built once
per process from module-level aliases, and the first two counts of a fresh process may build them at the same
moment. One bench run on a busy machine got a third of its counts answered 500 (NoSuchColumnError
'user_team.id') for the whole life of a worker.

SQLAlchemy fills an alias's index of columns in place the first time one of its columns is looked up; a second
thread looking up meanwhile sees it half-built and misses the column. The test stops the first thread half-way
through that fill, lets a second thread build its count statement then, and checks that every count statement
of the process still runs. It needs a fresh interpreter: the aliases are made when countapp is imported."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import os, sys, tempfile, threading, warnings
    os.environ["COUNTAPP_INSTANCE_PATH"] = tempfile.mkdtemp()
    from sqlalchemy.sql import base

    from countapp import create_app
    from countapp.extensions import db
    from countapp.services import counting

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1]})
    with app.app_context():
        db.create_all()

    half_built, second_done = threading.Event(), threading.Event()
    # SQLAlchemy 2.1 fills it in WriteableColumnCollection, 2.0 in ColumnCollection.
    owner = next(cls for cls in (getattr(base, "WriteableColumnCollection", None), base.ColumnCollection)
                 if cls is not None and "_init_proxy_index" in vars(cls))
    fill = owner._init_proxy_index

    def paused_fill(collection):
        # In the first thread only, on the alias's index: one column in, then wait for the second thread.
        if (threading.current_thread().name != "first" or half_built.is_set() or collection._proxy_index
                or not any(getattr(c.table, "name", None) == sys.argv[2] for _, c, _ in collection._collection)):
            return fill(collection)
        for _, _, metrics in list(collection._collection)[:1]:
            for column in metrics.column._expanded_proxy_set:
                collection._proxy_index[column].add(metrics)
        half_built.set()
        second_done.wait(30)   # only a guard against hanging: the second thread sets it when it is done
        for _, _, metrics in collection._collection:
            for column in metrics.column._expanded_proxy_set:
                collection._proxy_index[column].add(metrics)

    owner._init_proxy_index = paused_fill
    problems = []

    def count_statements(round_):
        with app.app_context():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    db.session.execute(counting._count_load_statement(False, round_),
                                       {"code": "X", "sequence": 1, "user_id": 1}).first()
                except Exception as error:  # noqa: BLE001 - what the test reports
                    problems.append(f"round {round_}: {type(error).__name__}: {error}"[:300])
            problems.extend(f"round {round_}: {w.message}"[:300] for w in caught)
            db.session.remove()

    def first():
        try:
            count_statements(1)
        finally:
            half_built.set()   # no index to fill: nothing to wait for

    def second():
        half_built.wait(30)
        try:
            count_statements(1)
        finally:
            second_done.set()

    threads = [threading.Thread(target=first, name="first"), threading.Thread(target=second, name="second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for round_ in (0, 1, 2, 3):   # what every later count of this process runs
        count_statements(round_)
    print("\\n".join(problems) or "OK")
""")


@pytest.mark.parametrize("alias", ["user_team", "line_item"])
def test_count_statements_survive_two_threads_building_them_at_once(tmp_path, alias):
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "threads.sqlite"), alias], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "OK"
