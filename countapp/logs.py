"""Log lines: plain text by default, one JSON object per line when ``COUNTAPP_LOG_FORMAT=json``
(what log collectors read without a parsing rule)."""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                "process": record.process}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(fmt: str, *, level: int = logging.INFO, force: bool = False) -> None:
    """Send the app's logs to stdout in ``fmt``; a no-op for text unless ``force`` (long-running commands)."""
    if fmt != "json" and not force:
        return
    root = logging.getLogger()
    if getattr(root, "_countapp_format", None) == fmt:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter(fmt))
    for old in [h for h in root.handlers if getattr(h, "_countapp", False)]:
        root.removeHandler(old)
    handler._countapp = True
    root.addHandler(handler)
    root.setLevel(level)
    root._countapp_format = fmt
