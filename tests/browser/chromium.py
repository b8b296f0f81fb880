"""Debian's chromium driven by Playwright, or a skip naming what is missing (CI installs both)."""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("COUNTAPP_CHROMIUM", "/usr/bin/chromium")


def playwright_or_skip():
    """Playwright's sync API; called at a test module's top, it skips the module without chromium or playwright."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)",
                    allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="pip install playwright")


def executable() -> str:
    """The chromium to launch (``COUNTAPP_CHROMIUM``, else /usr/bin/chromium, else the one on PATH)."""
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
