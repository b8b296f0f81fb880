"""The OpenAPI 3 description of /api/v1, served at /api/openapi.json."""
from __future__ import annotations

from functools import lru_cache

from ... import __version__


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": {"$ref": "#/components/responses/BadInput"},
    "401": {"$ref": "#/components/responses/NotLoggedIn"},
    "403": {"$ref": "#/components/responses/Refused"},
    "404": {"$ref": "#/components/responses/NotFound"},
}
# The constraints the code checks (tickets.numbering, tickets.quantities, services.counting, web.api.routes),
# declared here so that a request valid for this document is never refused as bad input.
CAMPAIGN_CODE = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[^\\s/?#%\\x00]+$"}
CODE = {"name": "code", "in": "path", "required": True, "schema": CAMPAIGN_CODE, "description": "Campaign code"}
CAMPAIGN_QUERY = {"name": "campaign", "in": "query", "required": False, "schema": CAMPAIGN_CODE,
                  "description": "Campaign code; by default the caller's team's campaign, or the only one counting."}
# As printed (000123/2025) or the bare sequence (123): a sequence from 1, the campaign's fiscal year.
TICKET_NUMBER = {"type": "string", "pattern": r"^0*[1-9][0-9]{0,8}(/[0-9]{4})?$", "example": "000123/2025",
                 "description": "As printed (000123/2025) or the bare sequence (123). A year other than the "
                                "campaign's fiscal year names no ticket of it (404)."}
MAX_QUANTITY_DIGITS = 12  # tickets.quantities.MAX_QUANTITY is 10^12
DECIMAL = {"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]{1,4})?$", "example": "12.5",
           "description": "A decimal number written as text (exact; no float rounding), at most 4 decimals."}
NUMBER = {"type": "number", "minimum": 0, "exclusiveMaximum": 10 ** MAX_QUANTITY_DIGITS, "multipleOf": 0.0001}
QUANTITY = {"oneOf": [DECIMAL, {"type": "integer", "minimum": 0, "exclusiveMaximum": 10 ** MAX_QUANTITY_DIGITS}]}
PAGE_MAX = 5000  # web.api.routes.MAX_PAGE
ROW_ID_MAX = 2_147_483_647


def _int_query(name: str, default: int | None, high: int, description: str | None = None) -> dict:
    schema = {"type": "integer", "minimum": 0, "maximum": high}
    if default is not None:
        schema["default"] = default
    parameter = {"name": name, "in": "query", "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def TEXT(max_length: int) -> dict:  # noqa: N802 - reads like the other schema constants
    """Free text as services.counting._text takes it: no NUL, trimmed length at most ``max_length``."""
    return {"type": "string", "maxLength": max_length, "pattern": "^[^\\x00]*$"}


def _text_query(name: str, max_length: int) -> dict:
    return {"name": name, "in": "query", "schema": {"type": "string", "maxLength": max_length,
                                                     "pattern": "^[^\\x00]*$"}}
STATE = {"type": "string", "enum": ["good", "damaged", "obsolete", "expired"], "default": "good"}
METHOD = {"type": "string", "enum": ["counted", "weighed", "measured", "estimated"], "default": "counted"}
JOB_STATES = ["queued", "running", "done", "failed"]


@lru_cache(maxsize=1)
def document() -> dict:
    count = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "ticket": {"type": "string", "example": "000123/2025"},
            "round": {"type": "integer", "enum": [1, 2, 3]}, "quantity": DECIMAL, "state": STATE, "method": METHOD,
            "packaging": {"oneOf": [_ref("Packaging"), {"type": "null"}]},
            "team": {"type": ["integer", "null"]}, "counted_by": {"type": "string"},
            "counted_at": {"type": "string", "format": "date-time"},
            "recorded_at": {"type": "string", "format": "date-time"},
            "source": {"type": "string", "enum": ["tablet", "api", "import"]},
            "client_id": {"type": ["string", "null"]},
            "supersedes": {"type": ["integer", "null"], "description": "The entry this correction replaces."},
            "correction_reason": {"type": ["string", "null"]},
        },
    }
    packaging = {
        "type": "object", "additionalProperties": False,
        "description": "pallets × cartons_per_pallet × units_per_carton + loose_cartons × units_per_carton "
                       "+ loose_units. Missing parts are 0.",
        "properties": {k: QUANTITY
                       for k in ("pallets", "cartons_per_pallet", "units_per_carton", "loose_cartons", "loose_units")},
    }
    count_input = {
        "type": "object", "required": ["ticket", "quantity"],
        "properties": {
            "campaign": CAMPAIGN_CODE,
            "ticket": TICKET_NUMBER,
            "round": {"type": "integer", "enum": [1, 2, 3],
                      "description": "Defaults to the caller's team's round."},
            "quantity": {**QUANTITY,
                         "description": "≥ 0, at most 4 decimals, decimals only for weighed or measured units. "
                                        "May be left out when packaging is given."},
            "state": STATE, "method": METHOD, "packaging": _ref("Packaging"),
            "counted_at": {"type": "string", "format": "date-time", "description": "Defaults to now."},
            "client_id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$", "maxLength": 64,
                          "description": "Chosen by the device; sending the same client_id again returns the "
                                         "stored count instead of adding one."},
            "reference": {**TEXT(120), "description": "Blank tickets, 1st count: the item found."},
            "location": {**TEXT(120), "description": "Blank tickets, 1st count: where it was found."},
            "lot": TEXT(80),
        },
    }
    correction_input = {
        "type": "object", "required": ["ticket", "round", "quantity", "reason"],
        "properties": {"campaign": CAMPAIGN_CODE, "ticket": TICKET_NUMBER,
                       "round": {"type": "integer", "enum": [1, 2]},
                       "quantity": QUANTITY, "state": STATE, "method": METHOD,
                       "reason": {**TEXT(500), "minLength": 1, "pattern": "^[^\\x00]*\\S[^\\x00]*$"}},
    }
    ticket = {
        "type": "object",
        "description": "Counting teams see their own round only: never the book quantity, never another "
                       "round's count or state, never the agreed/recount decision. Staff (manager, centraliser, "
                       "auditor) also get status (the real one), book_qty, unit_cost, final_qty, "
                       "recount_reasons, teams, counts (per round) and void.",
        "properties": {
            "ticket": {"type": "string"}, "sequence": {"type": "integer"}, "campaign": {"type": "string"},
            "blank": {"type": "boolean"}, "needs_reference": {"type": "boolean"},
            "reference": {"type": ["string", "null"]}, "designation": {"type": ["string", "null"]},
            "unit": {"type": ["string", "null"]}, "decimals": {"type": ["boolean", "null"]},
            "location": {"type": ["string", "null"]}, "zone": {"type": ["string", "null"]},
            "lot": {"type": "string"}, "owner": {"type": "string", "enum": ["own", "third_party", "at_third_party"]},
            "round": {"type": ["integer", "null"], "description": "The round the caller counts this ticket in."},
            "team": {"type": ["integer", "null"]},
            "status": {"type": "string",
                       "description": "Teams: to_count, counted, waiting (the 1st count is not in yet), voided, "
                                      "not_issued. Staff: created, issued, counted_1, counted_2, recount, final, "
                                      "voided."},
            "count": {"oneOf": [_ref("Count"), {"type": "null"}], "description": "Teams: their round's entry."},
            "history": {"type": "array", "items": _ref("Count"),
                        "description": "Teams: earlier entries of their round, replaced by corrections."},
            "can_correct": {"type": "boolean"},
        },
    }
    tally = {"type": "object", "properties": {k: {"type": "integer"} for k in
                                              ("issued", "counted", "voided", "remaining", "percent")}}
    progress = {
        "type": "object",
        "properties": {
            "campaign": {"type": "string"}, "tickets": {"type": "integer"}, "not_issued": {"type": "integer"},
            "count_date": {"type": "string", "format": "date", "description": "The campaign's count date."},
            "rounds": {"type": "object", "additionalProperties": _ref("Tally")},
            "zones": {"type": "array", "items": {"type": "object", "properties": {
                "zone": {"type": ["string", "null"]},
                "count_date": {"type": "string", "format": "date",
                               "description": "The zone's count date ([count_dates] by zone or site, else the campaign's)."},
                "rounds": {"type": "object", "additionalProperties": _ref("Tally")}}}},
            "teams": {"type": "array", "items": {"type": "object"}},
            "remaining": {"type": "array", "items": {"type": "object", "properties": {
                "zone": {"type": ["string", "null"]}, "tickets": {"type": "array", "items": {"type": "object"}}}}},
            "remaining_total": {"type": "integer"},
            "alerts": {"type": "object", "properties": {
                "locations_without_ticket": {"type": "array", "items": {"type": "object"}},
                "counted_twice": {"type": "array", "items": {"type": "object"}}}},
            "statuses": {"type": "object", "additionalProperties": {"type": "integer"},
                         "description": "Staff only."},
        },
    }
    job = {
        "type": "object", "required": ["id", "kind", "state", "done", "total", "message", "result", "error"],
        "properties": {
            "id": {"type": "string"}, "kind": {"type": "string", "example": "import.stock"},
            "campaign": {"type": "string"},
            "state": {"type": "string", "enum": JOB_STATES,
                      "description": "A job whose worker stopped (killed, machine down) ends failed within the "
                                     "lease (COUNTAPP_JOB_LEASE seconds), never running for ever."},
            "done": {"type": "integer"}, "total": {"type": ["integer", "null"]}, "message": {"type": "string"},
            "result": {"type": ["object", "null"],
                       "description": "When done: for imports, counts and summary (in the requester's language)."},
            "error": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
                "message": {"type": "string"}, "field": {"type": ["string", "null"]},
                "errors": {"type": "array", "items": {"type": "object", "properties": {
                    "line": {"type": ["integer", "null"]}, "column": {"type": ["string", "null"]},
                    "text": {"type": "string"}}}}}}]},
            "created": {"type": "string", "format": "date-time"},
            "started": {"type": ["string", "null"], "format": "date-time"},
            "finished": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    error = {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["message", "field"],
        "properties": {"message": {"type": "string", "description": "In the caller's language."},
                       "field": {"type": ["string", "null"], "description": "The input field at fault."}}}}}

    def error_response(text: str) -> dict:
        return _json(_ref("Error"), text)

    return {
        "openapi": "3.1.0",
        "info": {"title": "countapp API", "version": __version__,
                 "description": "Counting on tablets and integrations. Authenticate with the session of the "
                                "web pages (writes need the page's CSRF token in the X-CSRFToken header) or with "
                                "a personal token: Authorization: Bearer <token> (POST /api/v1/tokens)."},
        "servers": [{"url": "/api"}],
        "security": [{"session": []}, {"bearer": []}],
        "paths": {
            "/v1/me": {"get": {"summary": "Who is calling (and their counting team)", "operationId": "me",
                               "responses": {"200": _json({"type": "object"}, "The caller"), **ERRORS}}},
            "/v1/tickets/{number}": {"get": {
                "summary": "A ticket, as far as the caller may see it", "operationId": "getTicket",
                "parameters": [{"name": "number", "in": "path", "required": True, "schema": TICKET_NUMBER},
                               CAMPAIGN_QUERY],
                "responses": {"200": _json(_ref("Ticket"), "The ticket"), **ERRORS}}},
            "/v1/counts": {"post": {
                "summary": "Record a count (idempotent on client_id)", "operationId": "addCount",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CountInput")}}},
                "responses": {"201": _json({"type": "object", "properties": {"count": _ref("Count"),
                                                                             "replayed": {"const": False}}},
                                           "Recorded"),
                              "200": _json({"type": "object", "properties": {"count": _ref("Count"),
                                                                             "replayed": {"const": True}}},
                                           "Already recorded with this client_id: the stored count"),
                              "409": {"$ref": "#/components/responses/Conflict"}, **ERRORS}}},
            "/v1/corrections": {"post": {
                "summary": "Correct the team's own count until the ticket moves on (the earlier entry is kept)",
                "operationId": "addCorrection",
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _ref("CorrectionInput")}}},
                "responses": {"201": _json({"type": "object", "properties": {"count": _ref("Count")}}, "Recorded"),
                              "409": {"$ref": "#/components/responses/Conflict"}, **ERRORS}}},
            "/v1/campaigns/{code}/progress": {"get": {
                "summary": "Progress by round, zone and team; tickets still to count; alerts",
                "operationId": "getProgress", "parameters": [
                    CODE, _int_query("remaining", 300, PAGE_MAX, "How many tickets still to count to list.")],
                "responses": {"200": _json(_ref("Progress"), "Progress"), **ERRORS}}},
            "/v1/campaigns/{code}/tickets": {"get": {
                "summary": "Teams: tickets issued to the team for its round. Staff: every ticket, by page",
                "operationId": "listTickets", "parameters": [
                    CODE, _int_query("limit", 1000, PAGE_MAX),
                    _int_query("after", 0, ROW_ID_MAX - 1, "Staff: tickets numbered after this sequence.")],
                "responses": {"200": _json({"type": "object"}, "Tickets"), **ERRORS}}},
            "/v1/campaigns/{code}/counts": {"get": {
                "summary": "Teams: the team's latest entries of its round. Staff: every entry, by page",
                "operationId": "listCounts", "parameters": [
                    CODE, _int_query("limit", None, PAGE_MAX, "Teams: at most 200 are returned."),
                    _int_query("offset", 0, ROW_ID_MAX)],
                "responses": {"200": _json({"type": "object", "properties": {
                    "counts": {"type": "array", "items": _ref("Count")}}}, "Counts"), **ERRORS}}},
            "/v1/campaigns/{code}/items": {"get": {
                "summary": "Search items by reference or designation (blank tickets)", "operationId": "searchItems",
                "parameters": [CODE, _text_query("q", 200), _int_query("limit", 20, 200)],
                "responses": {"200": _json({"type": "object"}, "Items"), **ERRORS}}},
            "/v1/campaigns/{code}/locations": {"get": {
                "summary": "Search locations (the team's zones first)", "operationId": "searchLocations",
                "parameters": [CODE, _text_query("q", 200), _int_query("limit", 20, 200)],
                "responses": {"200": _json({"type": "object"}, "Locations"), **ERRORS}}},
            "/v1/campaigns/{code}/lots": {"get": {
                "summary": "Lots the book knows for an item", "operationId": "searchLots",
                "parameters": [CODE, _text_query("reference", 200), _text_query("location", 200)],
                "responses": {"200": _json({"type": "object"}, "Lots"), **ERRORS}}},
            "/v1/campaigns/{code}/imports/{kind}": {"post": {
                "summary": "Queue an import of an ERP export (checked whole first; nothing written on error)",
                "description": "The file is checked and written by a worker, in one transaction: follow the job "
                               "at /api/v1/jobs/{id} until its state is done (result.summary) or failed "
                               "(error.message, error.errors: every line at fault). stock, movements and "
                               "opening: managers; counts: managers and centralisers.",
                "operationId": "startImport",
                "parameters": [CODE, {"name": "kind", "in": "path", "required": True,
                                      "schema": {"type": "string", "enum": ["stock", "movements", "opening",
                                                                            "counts"]}}],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary",
                                            "description": "CSV or XLSX, as for `countapp import KIND`."},
                                   "as_of": {"type": "string", "format": "date",
                                             "description": "stock only: the date the file's quantities are at "
                                                            "(default: the campaign's count date)."}}}}}},
                "responses": {"202": _json({"type": "object", "properties": {"job": {
                    "type": "object", "properties": {"id": {"type": "string"},
                                                     "state": {"type": "string", "enum": JOB_STATES}}}}},
                    "Queued: the Location header is the job's address"), **ERRORS}}},
            "/v1/jobs/{id}": {"get": {
                "summary": "Where a background job stands (any server answers)", "operationId": "getJob",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 64,
                                           "pattern": "^[^\\x00/]+$"}}],
                "responses": {"200": _json(_ref("Job"), "The job"), **ERRORS}}},
            "/v1/tokens": {"post": {
                "summary": "A new personal API token for the caller (replaces the previous one)",
                "operationId": "newToken",
                "responses": {"201": _json({"type": "object", "properties": {"token": {"type": "string"}}},
                                           "The token, shown once"), **ERRORS}}},
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "The web pages' session; writes also need X-CSRFToken."},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {"Job": job, "Count": count, "Packaging": packaging, "CountInput": count_input,
                        "CorrectionInput": correction_input, "Ticket": ticket, "Tally": tally,
                        "Progress": progress, "Error": error},
            "responses": {
                "BadInput": error_response("Bad input: the message says what, field says where"),
                "NotLoggedIn": error_response("No session and no valid token"),
                "Refused": error_response("Not allowed for this caller (role, team, round)"),
                "NotFound": error_response("Unknown campaign or ticket"),
                "Conflict": error_response("Already counted (the message names who and when), or a "
                                           "client_id reused for another count"),
            },
        },
    }
