"""bulk.InBackground: one write at a time in a thread; what it raised comes back to the caller."""
from __future__ import annotations

import threading

import pytest

from countapp.bulk import InBackground


def test_a_write_runs_in_another_thread_and_wait_returns_after_it():
    seen = []
    background = InBackground()
    background.start(lambda: seen.append(threading.current_thread() is threading.main_thread()))
    background.wait()
    assert seen == [False]


def test_the_next_write_starts_only_after_the_one_under_way():
    order = []
    release = threading.Event()
    background = InBackground()
    background.start(lambda: (release.wait(5), order.append("first")))
    release.set()
    background.start(lambda: order.append("second"))
    background.wait()
    assert order == ["first", "second"]


def test_what_a_write_raised_is_raised_by_wait_once():
    background = InBackground()

    def refused():
        raise ValueError("duplicate key")

    background.start(refused)
    with pytest.raises(ValueError, match="duplicate key"):
        background.wait()
    background.wait()   # nothing under way, nothing to raise


def test_start_raises_what_the_write_before_raised_and_does_not_start():
    ran = []
    background = InBackground()
    background.start(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        background.start(lambda: ran.append(True))
    background.wait()
    assert ran == []
