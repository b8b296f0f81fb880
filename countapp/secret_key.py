"""The key that signs sessions and remember-me cookies when ``COUNTAPP_SECRET_KEY`` is not set.

There is no shared default (anyone could forge a manager's cookie with it): the first start makes
a random key and keeps it in the instance folder, readable by its owner only; every later start
reads it back. Several gunicorn workers start at the same moment: the key is written to a private
temporary file, then hard-linked to its final name, which only one of them can do; the others find
the file there, complete, and read the winner's key. Plain Python, no Flask.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

FILE_NAME = "secret_key"
# Below this a key can be guessed offline from one signed cookie; production refuses it.
MIN_BYTES = 32


def instance_secret_key(instance_path: str | os.PathLike) -> str:
    """The instance folder's key, made (mode 0600) on the first call ever and read back after."""
    path = Path(instance_path) / FILE_NAME
    key = _read(path)
    if key:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".secret_key-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # atomic, and refused when another process got there first
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
    key = _read(path)
    if not key:
        raise OSError(f"{path} is empty: delete it and start again.")
    return key


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def is_too_short(key: str) -> bool:
    return len(key.encode()) < MIN_BYTES
