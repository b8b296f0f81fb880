"""What users read for the domain's codes, in their language."""
from __future__ import annotations

from enum import Enum

from flask import Flask
from flask_babel import lazy_gettext as _l

ROLES = {
    "manager": _l("Inventory manager"),
    "centraliser": _l("Centraliser"),
    "leader": _l("Team leader"),
    "counter": _l("Counter"),
    "auditor": _l("Auditor"),
}
STATUSES = {
    # campaigns
    "planning": _l("Planning"),
    "counting": _l("Counting"),
    "reconciling": _l("Reconciling"),
    "closed": _l("Closed"),
    # tickets
    "created": _l("Created"),
    "issued": _l("Issued"),
    "counted_1": _l("1st count in"),
    "counted_2": _l("2nd count in"),
    "recount": _l("Third count needed"),
    "final": _l("Final"),
    "voided": _l("Voided"),
}
CATEGORIES = {
    "raw_materials": _l("Raw materials and supplies"),
    "other_supplies": _l("Other supplies"),
    "wip_goods": _l("Work in progress (goods)"),
    "wip_services": _l("Work in progress (services)"),
    "products": _l("Products"),
    "goods_for_resale": _l("Goods for resale"),
}
OWNERS = {
    "own": _l("Own stock"),
    "third_party": _l("Held for a third party"),
    "at_third_party": _l("Held by a third party or in transit"),
}
STATES = {"good": _l("Good"), "damaged": _l("Damaged"), "obsolete": _l("Obsolete"), "expired": _l("Expired")}
METHODS = {"counted": _l("Counted"), "weighed": _l("Weighed"), "measured": _l("Measured"), "estimated": _l("Estimated")}
VALUATIONS = {
    "book": _l("Book unit cost"),
    "wac": _l("Weighted average cost"),
    "fifo": _l("FIFO (first in, first out)"),
    "lifo": _l("LIFO (last in, first out)"),
}
HTTP_TITLES = {
    400: _l("Bad request"), 403: _l("Not allowed"), 404: _l("Not found"), 405: _l("Not allowed"),
    409: _l("Conflict"), 413: _l("File too large"), 500: _l("Something went wrong"),
}
HTTP_TEXTS = {
    400: _l("The request could not be understood. Check what you typed and try again."),
    403: _l("Your role does not allow this page or action."),
    404: _l("There is nothing at this address."),
    405: _l("This action cannot be done this way."),
    409: _l("Someone else changed this in the meantime."),
    413: _l("The file is larger than the server accepts."),
    500: _l("The error has been logged. Your data is safe: nothing was half written."),
}


def _lookup(table: dict):
    def label(code) -> str:
        key = code.value if isinstance(code, Enum) else code
        return str(table.get(key, key))
    return label


role_label = _lookup(ROLES)
status_label = _lookup(STATUSES)
category_label = _lookup(CATEGORIES)
owner_label = _lookup(OWNERS)
state_label = _lookup(STATES)
method_label = _lookup(METHODS)
valuation_label = _lookup(VALUATIONS)


def register_labels(app: Flask) -> None:
    from .audit.sentences import event_sentence

    app.jinja_env.globals.update(
        event_sentence=event_sentence,
        role_label=role_label, status_label=status_label, category_label=category_label,
        owner_label=owner_label, state_label=state_label, method_label=method_label,
        valuation_label=valuation_label,
        http_error_title=lambda code: str(HTTP_TITLES.get(code, code)),
        http_error_text=lambda code: str(HTTP_TEXTS.get(code, "")),
    )
