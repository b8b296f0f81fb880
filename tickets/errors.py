"""The one error type of countapp's domain code.

Domain modules (``tickets``, ``reports``, ``instructions``) raise ``CountappError`` with an
English message marked by ``N_`` so Babel extracts it; the web and the CLI translate it once,
in their own handler, with the user's language (``message % params`` after translation).
"""
from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


class Plural(str):
    """A message whose words follow a number: the singular as the text, the plural beside it.

    The number is the ``num`` parameter; the translation picks the form (French: 0 and 1 singular).
    """

    plural: str

    def __new__(cls, singular: str, plural: str) -> "Plural":
        text = super().__new__(cls, singular)
        text.plural = plural
        return text


class Label(str):
    """A word given as a message parameter (a status, a role) that is translated with the message."""


def Nn_(singular: str, plural: str) -> Plural:
    """Mark a plural message for extraction (``%(num)s`` is the number); translated where it is shown."""
    return Plural(singular, plural)


def translate(message: str, params: dict | None = None, gettext=None) -> str:
    """``message % params`` in the reader's language.

    ``gettext`` translates a text; when it carries an ``ngettext`` attribute, a ``Plural`` message
    takes the form its ``num`` parameter needs. Without a translation, English chooses by ``num``.
    """
    params = params or {}
    if gettext and any(isinstance(value, Label) for value in params.values()):
        params = {key: gettext(value) if isinstance(value, Label) else value for key, value in params.items()}
    number = params.get("num")
    plural = getattr(message, "plural", None)
    if plural is not None and isinstance(number, int):
        ngettext = getattr(gettext, "ngettext", None)
        if ngettext is not None:
            template = ngettext(str(message), plural, number)
        else:
            template = str(message) if number == 1 else plural
            template = gettext(template) if gettext else template
    else:
        template = gettext(str(message)) if gettext else str(message)
    return template % params if params else template


class CountappError(Exception):
    """A user's mistake or a refused action, with the field at fault when there is one."""

    status = 400

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__(translate(message, params))
        self.message = message
        self.field = field
        self.params = params

    def render(self, gettext=None) -> str:
        """The message in the caller's language (``gettext`` translates the template)."""
        return translate(self.message, self.params, gettext)


class NotFound(CountappError):
    status = 404


class Conflict(CountappError):
    status = 409


class Forbidden(CountappError):
    status = 403


class Unavailable(CountappError):
    """Nothing is wrong with the request, but it could not be served now: send it again in a moment."""

    status = 503
