"""A keyboard-wedge scanner for browser tests: a burst of keystrokes a few milliseconds apart, then Enter.

A real scanner's keys reach the page stamped with the time the tablet received them, a few milliseconds
apart however busy the tablet is. Playwright's ``keyboard.type`` stamps each key when the browser gets it
from the test process: on a busy machine its keys come tens of milliseconds apart and the page rightly
takes them for a person typing. So the keys go through the DevTools protocol with their own time stamps,
as a scanner's would have.
"""
from __future__ import annotations

import time

KEY_GAP = 0.004   # seconds between two keys of a scan


def _key(char: str) -> dict:
    if char.isdigit():
        return {"key": char, "code": f"Digit{char}", "windowsVirtualKeyCode": ord(char)}
    if char == "/":
        return {"key": "/", "code": "Slash", "windowsVirtualKeyCode": 191}
    if char.isalpha():
        return {"key": char, "code": f"Key{char.upper()}", "windowsVirtualKeyCode": ord(char.upper())}
    if char == " ":
        return {"key": " ", "code": "Space", "windowsVirtualKeyCode": 32}
    if char == "-":
        return {"key": "-", "code": "Minus", "windowsVirtualKeyCode": 189}
    raise ValueError(f"no key for {char!r}")


def scan(page, text: str) -> None:
    """Type ``text`` then Enter wherever the focus is, as a scanner does."""
    session = page.context.new_cdp_session(page)
    try:
        start = time.time()
        for index, char in enumerate(text):
            at = start + index * KEY_GAP
            key = _key(char)
            session.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": char, "unmodifiedText": char,
                                                    "timestamp": at, **key})
            session.send("Input.dispatchKeyEvent", {"type": "keyUp", "timestamp": at + KEY_GAP / 2, **key})
        at = start + len(text) * KEY_GAP
        enter = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
        session.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", "unmodifiedText": "\r",
                                                "timestamp": at, **enter})
        session.send("Input.dispatchKeyEvent", {"type": "keyUp", "timestamp": at + KEY_GAP / 2, **enter})
    finally:
        session.detach()
