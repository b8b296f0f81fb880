"""Log lines as JSON objects (COUNTAPP_LOG_FORMAT=json): what a log collector reads without a rule."""
import json
import logging

from countapp.logs import JsonFormatter


def test_a_json_log_line_is_one_object_with_time_level_logger_message_and_traceback():
    try:
        raise ValueError("bad « input »")
    except ValueError:
        import sys

        record = logging.LogRecord("countapp.jobs", logging.ERROR, __file__, 1, "job %s failed", ("abc",),
                                   sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "ERROR" and data["logger"] == "countapp.jobs" and data["message"] == "job abc failed"
    assert data["time"].endswith("+00:00") and "ValueError: bad « input »" in data["exception"]
