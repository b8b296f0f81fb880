"""The key that seals the audit log's hash chain (HMAC-SHA256), kept outside the database.

With a plain SHA-256 chain, whoever holds the database can rewrite an event and recompute every
hash after it: the chain verifies again. Keyed, they cannot without this key, which lives in
``COUNTAPP_AUDIT_KEY`` or else in the instance folder's ``audit_key`` file (made once, mode 0600).
It is not the secret key that signs cookies (``countapp.secret_key``): that one may be rotated
freely; this one must be kept (and backed up apart from the database) as long as the logs it
sealed must verify.

Several processes starting at once must end up with the same key: the file is created with
O_CREAT|O_EXCL, so only one of them writes it, and everyone then reads back what is in it.
Plain Python, no Flask.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import ConfigError

ENV = "COUNTAPP_AUDIT_KEY"
FILE_NAME = "audit_key"
# HMAC-SHA256 gains nothing from a key longer than its 64-byte block, and a short one can be guessed.
MIN_BYTES = 32
KEY_ID_LENGTH = 16


class AuditKeyError(ConfigError):
    """The audit key cannot be read or is unusable; the message says how to fix it."""


@dataclass(frozen=True)
class AuditKey:
    secret: bytes = field(repr=False)
    source: str = ""            # "COUNTAPP_AUDIT_KEY" or the file's path, for messages
    key_id: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "key_id", key_id(self.secret))


def key_id(secret: bytes) -> str:
    """A short public name of the key (an HMAC of a fixed text): tells which key sealed an event
    without revealing anything about the key itself."""
    return hmac.new(secret, b"countapp audit key id", hashlib.sha256).hexdigest()[:KEY_ID_LENGTH]


def load(instance_path: str | os.PathLike, configured: str | None = None) -> AuditKey:
    """The key: ``configured`` (a setting), else ``COUNTAPP_AUDIT_KEY``, else the instance folder's
    file, made on the first call ever."""
    value = configured or os.environ.get(ENV)
    if value:
        return AuditKey(_checked(value.strip().encode(), ENV), ENV)
    path = Path(instance_path) / FILE_NAME
    return AuditKey(_checked(_file_key(path), str(path)), str(path))


def _checked(secret: bytes, source: str) -> bytes:
    if len(secret) < MIN_BYTES:
        raise AuditKeyError(f"The audit key in {source} is {len(secret)} bytes long: it needs at least {MIN_BYTES} "
                            "(e.g. python -c 'import secrets; print(secrets.token_hex(32))').")
    return secret


def _file_key(path: Path) -> bytes:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    # Another process may have created the file an instant ago and be writing it: wait for the
    # whole key (a few milliseconds at most) rather than read half of it.
    # A key written by hand may lack the final newline: taken as it is after a short wait.
    for attempt in range(100):
        text = path.read_text(encoding="utf-8", errors="replace")
        if text.strip() and (text.endswith("\n") or attempt >= 20):
            return text.strip().encode()
        time.sleep(0.01)
    raise AuditKeyError(f"{path} holds no complete key. If the audit log was never sealed with it (a fresh "
                        f"installation), delete the file and start again; otherwise restore it from the backup.")
