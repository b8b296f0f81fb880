"""The one error type of countapp's domain code.

Domain modules (``tickets``, ``reports``, ``instructions``) raise ``CountappError`` with an
English message marked by ``N_`` so Babel extracts it; the web and the CLI translate it once,
in their own handler, with the user's language (``message % params`` after translation).
"""
from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


class CountappError(Exception):
    """A user's mistake or a refused action, with the field at fault when there is one."""

    status = 400

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params

    def render(self, gettext=None) -> str:
        """The message in the caller's language (``gettext`` translates the template)."""
        template = gettext(self.message) if gettext else self.message
        return template % self.params if self.params else template


class NotFound(CountappError):
    status = 404


class Conflict(CountappError):
    status = 409


class Forbidden(CountappError):
    status = 403
