"""An audit event as a sentence in the reader's language ("1st count recorded: 136 (good)…").

The log keeps its codes and raw data (``count.add``, ``{"round": 1, "quantity": "136.0000"}``) for
auditors and for the hash chain; pages show this sentence and keep the raw data one click away.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from ..formatting import qty
from ..labels import role_label, state_label, status_label
from ..review.labels import CAUSES

ROUNDS = {1: "1st count", 2: "2nd count", 3: "3rd count"}


def _round(value) -> str:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value or "—")
    return {1: _("1st count"), 2: _("2nd count"), 3: _("3rd count")}.get(number, str(number))


def _quantity(value) -> str:
    try:
        return qty(value)
    except Exception:  # noqa: BLE001 - a value the log kept as text: shown as it is
        return str(value)


def _states(value) -> str:
    return ", ".join(state_label(s) for s in str(value or "good").split(",") if s)


def _count_add(e, a, b):
    return _("%(round)s recorded: %(quantity)s (%(state)s). Ticket now: %(status)s.",
             round=_round(a.get("round")), quantity=_quantity(a.get("quantity")), state=_states(a.get("state")),
             status=status_label(a.get("status", "")))


def _count_correct(e, a, b):
    return _("%(round)s corrected to %(quantity)s (%(state)s). Reason: %(reason)s",
             round=_round(a.get("round")), quantity=_quantity(a.get("quantity")), state=_states(a.get("state")),
             reason=a.get("reason") or "—")


def _tickets_moved(issued: bool):
    def sentence(e, a, b):
        number = int(a.get("tickets") or 0)
        if issued:
            return ngettext("%(num)d ticket (%(first)s to %(last)s) issued to team %(team)s for the %(round)s.",
                            "%(num)d tickets (%(first)s to %(last)s) issued to team %(team)s for the %(round)s.",
                            number, first=a.get("first"), last=a.get("last"), team=e.entity_id,
                            round=_round(a.get("round")))
        return ngettext("%(num)d ticket (%(first)s to %(last)s) returned unused by team %(team)s.",
                        "%(num)d tickets (%(first)s to %(last)s) returned unused by team %(team)s.",
                        number, first=a.get("first"), last=a.get("last"), team=e.entity_id)
    return sentence


def _import(e, a, b):
    kind = e.action.split(".", 1)[1] if "." in e.action else ""
    texts = {"stock": _("Book stock imported from %(file)s."), "movements": _("Movements imported from %(file)s."),
             "opening": _("Opening values imported from %(file)s."), "counts": _("Counts imported from %(file)s.")}
    text = texts.get(kind, _("File %(file)s imported."))
    return text % {"file": a.get("file") or e.entity_id}


SENTENCES = {
    "count.add": _count_add,
    "count.correct": _count_correct,
    "ticket.void": lambda e, a, b: _("Ticket voided. Reason: %(reason)s", reason=a.get("reason") or "—"),
    "ticket.decide": lambda e, a, b: _("Settled without a third count: final quantity %(quantity)s. Reason: "
                                       "%(reason)s", quantity=_quantity(a.get("final_qty")),
                                       reason=a.get("reason") or "—"),
    "tickets.generate": lambda e, a, b: _("Tickets generated."),
    "tickets.issue": _tickets_moved(True),
    "tickets.return": _tickets_moved(False),
    "tickets.print": lambda e, a, b: _("Tickets printed."),
    "recount.sheet": lambda e, a, b: _("Recount sheet %(number)s made.", number=a.get("number") or e.entity_id),
    "campaign.create": lambda e, a, b: _("Campaign created."),
    "campaign.configure": lambda e, a, b: _("Campaign settings changed."),
    "campaign.status": lambda e, a, b: _("Campaign status changed to: %(status)s.",
                                         status=status_label(a.get("status", ""))),
    "campaign.start": lambda e, a, b: (_("Counting started although points were missing. Reason: %(reason)s",
                                         reason=a.get("override_reason")) if a.get("override_reason")
                                       else _("Counting started.")),
    "campaign.finish_counting": lambda e, a, b: _("Counting ended."),
    "campaign.close": lambda e, a, b: _("Campaign closed."),
    "campaign.reopen": lambda e, a, b: _("Campaign reopened. Reason: %(reason)s", reason=a.get("reason") or "—"),
    "user.add": lambda e, a, b: _("User %(login)s created (%(role)s).", login=a.get("login") or e.entity_id,
                                  role=role_label(a.get("role", ""))),
    "user.update": lambda e, a, b: _("User %(login)s changed.", login=a.get("login") or e.entity_id),
    "user.disable": lambda e, a, b: _("User %(login)s disabled.", login=a.get("login") or e.entity_id),
    "user.enable": lambda e, a, b: _("User %(login)s enabled.", login=a.get("login") or e.entity_id),
    "user.password_reset": lambda e, a, b: _("Password of %(login)s reset.", login=a.get("login") or e.entity_id),
    "user.password_change": lambda e, a, b: _("Password changed."),
    "user.api_token": lambda e, a, b: _("API token of %(login)s renewed.", login=a.get("login") or e.entity_id),
    "team.add": lambda e, a, b: _("Team %(team)s added.", team=e.entity_id),
    "team.update": lambda e, a, b: _("Team %(team)s changed.", team=e.entity_id),
    "zone.storekeeper": lambda e, a, b: _("Storekeeper of zone %(zone)s: %(login)s.", zone=e.entity_id,
                                          login=a.get("storekeeper") or "—"),
    "audit.seal": lambda e, a, b: _("Log sealed at event #%(seq)s.", seq=a.get("seq")),
    "audit.floor_record": lambda e, a, b: _("Tag control: ticket %(ticket)s seen on the floor.",
                                            ticket=e.entity_id),
    "audit.confirmation": lambda e, a, b: _("Confirmation from %(holder)s recorded: %(quantity)s.",
                                            holder=a.get("holder") or "—",
                                            quantity=_quantity(a.get("confirmed_qty"))),
    "audit.join": lambda e, a, b: ngettext("Counts of %(num)d counter joined into the campaign's chain.",
                                           "Counts of %(num)d counters joined into the campaign's chain.",
                                           len(a.get("chains") or {})),
    "audit.sample": lambda e, a, b: _("Audit sample %(number)s drawn.", number=e.entity_id),
    "audit.sample_line": lambda e, a, b: _("Line added to audit sample %(number)s.", number=e.entity_id),
    "audit.count": lambda e, a, b: _("Auditor's test count: %(quantity)s (%(state)s).",
                                     quantity=_quantity(a.get("quantity")), state=_states(a.get("state"))),
    "report.texts": lambda e, a, b: _("Texts of the annual report edited."),
    "reconciliation.cause": lambda e, a, b: _("Cause of the difference: %(cause)s.",
                                              cause=str(CAUSES.get(a.get("cause"), a.get("cause") or "—"))),
    "reconciliation.sign": lambda e, a, b: _("Reconciliation signed off by %(name)s.", name=a.get("name") or "—"),
    "reconciliation.reopen": lambda e, a, b: _("Reconciliation reopened. Reason: %(reason)s",
                                               reason=a.get("reason") or "—"),
    "instructions.facts": lambda e, a, b: _("Facts of the instructions edited."),
    "instructions.texts": lambda e, a, b: _("Texts of the instructions edited."),
    "instructions.place_add": lambda e, a, b: _("Place %(location)s added to the instructions.",
                                                location=a.get("location") or e.entity_id),
    "instructions.place_remove": lambda e, a, b: _("Place %(location)s removed from the instructions.",
                                                   location=a.get("location") or e.entity_id),
    "instructions.issue": lambda e, a, b: _("Instructions version %(version)s issued.",
                                            version=a.get("version") or e.entity_id),
    "instructions.acknowledge": lambda e, a, b: _("%(login)s acknowledged version %(version)s of the instructions.",
                                                  login=a.get("login") or "—", version=a.get("version") or "—"),
    # cycle counting: in the linked campaign's chain when the programme is combined with a campaign
    "cycle.create": lambda e, a, b: _("Cycle counting programme %(code)s created for %(year)s.",
                                      code=e.entity_id, year=a.get("fiscal_year") or "—"),
    "cycle.configure": lambda e, a, b: _("Settings of cycle counting programme %(code)s changed.", code=e.entity_id),
    "cycle.import.stock": lambda e, a, b: _("Cycle counting programme %(code)s: book stock imported from %(file)s.",
                                            code=e.entity_id, file=a.get("file") or "—"),
    "cycle.import.movements": lambda e, a, b: _("Cycle counting programme %(code)s: movements imported from "
                                                "%(file)s.", code=e.entity_id, file=a.get("file") or "—"),
    "cycle.import.counts": lambda e, a, b: _("Cycle counting programme %(code)s: counts imported from %(file)s.",
                                             code=e.entity_id, file=a.get("file") or "—"),
    "cycle.classify": lambda e, a, b: _("Cycle counting programme %(code)s: classes A, B, C computed.",
                                        code=e.entity_id),
    "cycle.set_class": lambda e, a, b: _("Item %(reference)s set to class %(abc)s by hand.",
                                         reference=e.entity_id, abc=a.get("abc_class") or "—"),
    "cycle.plan": lambda e, a, b: _("Cycle counting programme %(code)s planned.", code=e.entity_id),
    "cycle.replan": lambda e, a, b: ngettext("%(num)d missed cycle count planned again.",
                                             "%(num)d missed cycle counts planned again.", int(a.get("moved") or 0)),
    "cycle.count": lambda e, a, b: _("Cycle count, %(round)s: %(quantity)s.", round=_round(a.get("round")),
                                     quantity=_quantity(a.get("quantity"))),
    "cycle.accept": lambda e, a, b: _("Cycle count difference accepted: %(difference)s. Cause: %(cause)s.",
                                      difference=_quantity(a.get("difference")),
                                      cause=str(CAUSES.get(a.get("cause"), a.get("cause") or "—"))),
    "cycle.sample": lambda e, a, b: _("Auditor's test-count sample of %(size)s cycle count lines drawn.",
                                      size=a.get("size") or "—"),
}


def event_sentence(event) -> str:
    """What happened, in a sentence; an action this module does not know is named by its code."""
    after = event.after if isinstance(event.after, dict) else {}
    before = event.before if isinstance(event.before, dict) else {}
    action = event.action or ""
    sentence = SENTENCES.get(action) or (_import if action.startswith("import.") else None)
    if sentence is None:
        return _("Event %(action)s.", action=action)
    try:
        return sentence(event, after, before)
    except (KeyError, TypeError, ValueError):   # an event written by an older version: its code still says it
        return _("Event %(action)s.", action=action)
