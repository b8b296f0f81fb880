"""Numbers read from a page's address (``?page=``, ``?after=``): an address is the user's input too."""
from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

LARGEST = 2**31 - 1   # what an INTEGER column holds on both databases


def address_int(text: str) -> int:
    """``type=`` for ``request.args.get``: a whole number, or 400 naming the problem when it is out of range
    (a number past the database's integer was a server error). Not a number at all: ValueError, so
    ``request.args.get`` falls back to its default as before."""
    value = int(text)
    if not -LARGEST <= value <= LARGEST:
        raise BadRequest(_("A number in the address is out of range (at most %(n)s).", n=LARGEST))
    return value
