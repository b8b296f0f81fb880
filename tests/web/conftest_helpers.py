"""Helpers for tests that walk every route."""
from __future__ import annotations

EXAMPLE_VALUES = {"code": "FY2025", "number": "1", "int": "1", "team": "1", "string": "x", "path": "x"}


def example_url(rule) -> str:
    """A URL for the rule with plausible values for its arguments."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__.lower()
        values[name] = EXAMPLE_VALUES.get(name) or ("1" if "integer" in converter else "x")
    url = rule.rule
    for name, value in values.items():
        url = url.replace(f"<{name}>", value)
        for kind in ("int", "string", "path", "float"):
            url = url.replace(f"<{kind}:{name}>", value)
    return url
