"""What must still be settled before the instructions can be issued."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tickets.errors import N_, Nn_
from tickets.plurals import choose

from . import formatting as fmt
from .model import InstructionsData, Team
from .sections import check_language


@dataclass(frozen=True)
class Missing:
    """One gap: a stable key, an English template (``message % params``) and its params."""

    key: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


# French templates, by key; same params as the English ones.
_FR = {
    "no_person_in_charge": "Aucun responsable de l’inventaire n’est désigné.",
    "no_centraliser": "Personne n’est désigné pour centraliser les tickets et diriger les troisièmes comptages.",
    "no_count_date": "La date du comptage n’est pas fixée.",
    "no_closing_date": "La date de clôture n’est pas fixée.",
    "no_freeze_period": "La période d’arrêt des mouvements physiques n’a pas de début ou pas de fin.",
    "freeze_reversed": "La période d’arrêt des mouvements physiques se termine avant de commencer.",
    "no_places": "La liste des lieux à inventorier est vide.",
    "places_without_zone": ("%(num)s emplacement sans zone, donc confié à aucune équipe (par exemple\u202f: %(examples)s).",
                            "%(num)s emplacements sans zone, donc confiés à aucune équipe (par exemple\u202f: "
                            "%(examples)s)."),
    "no_categories": "Aucune catégorie de stocks n’est retenue.",
    "zone_without_team": "La zone %(zone)s n’a pas d’équipe pour le comptage n° %(round)s.",
    "team_bad_round": "L’équipe %(team)s est affectée au comptage %(round)s\u202f; une équipe fait le 1er ou le 2e comptage.",
    "team_without_leader": "L’équipe %(team)s n’a pas de chef d’équipe.",
    "team_without_zone": "Aucune zone n’est confiée à l’équipe %(team)s.",
    "team_unknown_zone": "L’équipe %(team)s est affectée à la zone %(zone)s, qui ne contient aucun lieu listé.",
    "team_without_times": "L’équipe %(team)s n’a pas d’horaires (début ou fin manquant).",
    "team_outside_freeze": "L’équipe %(team)s compte en dehors de la période d’arrêt des mouvements.",
    "no_auditor": "Aucun auditeur n’est désigné.",
    "no_last_receipt": "Le numéro du dernier bon de réception avant le comptage n’est pas relevé.",
    "no_last_shipment": "Le numéro du dernier bon de livraison avant le comptage n’est pas relevé.",
}


def _natural(text: str) -> list:
    """Sort key that puts Z2 before Z10."""
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]


def missing_items(data: InstructionsData) -> list[Missing]:
    """Everything still missing or inconsistent before issuing, in the document's order."""
    out: list[Missing] = []
    add = lambda key, msg, **params: out.append(Missing(key, msg, params))  # noqa: E731
    if not (data.person_in_charge or "").strip():
        add("no_person_in_charge", N_("No person in charge of the count is named."))
    if not data.count_date:
        add("no_count_date", N_("The count date is not set."))
    if not data.closing_date:
        add("no_closing_date", N_("The closing date is not set."))
    # A count after the closing date is no gap (issue 18): the count rolls back to the closing date.
    if not (data.freeze_from and data.freeze_to):
        add("no_freeze_period", N_("The freeze of physical movements has no start or no end."))
    elif data.freeze_to <= data.freeze_from:
        add("freeze_reversed", N_("The freeze of physical movements ends before it starts."))
    places = [p for p, _ in data.all_places()]
    if not places:
        add("no_places", N_("The list of places to count is empty."))
    unzoned = [p for p in places if not p.zone]
    if unzoned:
        examples = ", ".join(" / ".join(x for x in (p.site, p.location) if x) for p in unzoned[:3])
        add("places_without_zone",
            Nn_("%(num)s location has no zone, so no team counts it (for example: %(examples)s).",
                "%(num)s locations have no zone, so no team counts them (for example: %(examples)s)."),
            num=len(unzoned), examples=examples)
    if not data.categories:
        add("no_categories", N_("No stock category is in scope."))
    out.extend(_team_items(data, {p.zone for p in places if p.zone}))
    if not data.auditors:
        add("no_auditor", N_("No auditor is listed."))
    if not (data.centraliser or "").strip():
        add("no_centraliser", N_("No one is named to centralise the tickets and direct third counts."))
    if not (data.last_receipt_document or "").strip():
        add("no_last_receipt", N_("The number of the last receiving document before the count is not recorded."))
    if not (data.last_shipment_document or "").strip():
        add("no_last_shipment", N_("The number of the last shipping document before the count is not recorded."))
    return out


def _team_items(data: InstructionsData, zones: set[str]) -> list[Missing]:
    """Teams: every zone covered in both rounds, each team complete and inside the freeze."""
    out: list[Missing] = []
    covered: dict[int, set[str]] = {1: set(), 2: set()}
    for team in sorted(data.teams, key=lambda t: t.number):
        out.extend(_one_team(team, zones, data))
        if team.round in covered:
            covered[team.round].update(z for z in team.zones if z)
    for zone in sorted(zones, key=_natural):
        for rnd in (1, 2):
            if zone not in covered[rnd]:
                out.append(Missing("zone_without_team",
                                   N_("Zone %(zone)s has no team for round %(round)s."),
                                   {"zone": zone, "round": rnd}))
    return out


def _one_team(team: Team, zones: set[str], data: InstructionsData) -> list[Missing]:
    out: list[Missing] = []
    t = {"team": team.number}
    if team.round not in (1, 2):
        out.append(Missing("team_bad_round",
                           N_("Team %(team)s has round %(round)s; a team counts in round 1 or 2."),
                           {**t, "round": team.round}))
    if not (team.leader or "").strip():
        out.append(Missing("team_without_leader", N_("Team %(team)s has no leader."), t))
    if not [z for z in team.zones if z]:
        out.append(Missing("team_without_zone", N_("Team %(team)s has no zone."), t))
    for zone in sorted({z for z in team.zones if z} - zones, key=_natural):
        out.append(Missing("team_unknown_zone",
                           N_("Team %(team)s is given zone %(zone)s, which holds no listed place."),
                           {**t, "zone": zone}))
    if not (team.start and team.end):
        out.append(Missing("team_without_times", N_("Team %(team)s has no start or end time."), t))
    elif data.freeze_from and data.freeze_to and (team.start < data.freeze_from or team.end > data.freeze_to):
        out.append(Missing("team_outside_freeze",
                           N_("Team %(team)s counts outside the freeze of physical movements."), t))
    return out


def render_missing(m: Missing, language: str) -> str:
    """The gap as a sentence in French or English, dates written the reader's way."""
    lang = check_language(language)
    template = _FR.get(m.key, m.message) if lang == "fr" else m.message
    if not isinstance(template, str) or getattr(template, "plural", None):   # words after a number
        forms = template if not isinstance(template, str) else (str(template), template.plural)
        template = choose(forms, m.params.get("num"), lang)
    params = {k: _show(v, lang) for k, v in m.params.items()}
    text = template % params if params else template
    return fmt.french_spacing(text) if lang == "fr" else text


def _show(value: Any, lang: str) -> Any:
    if isinstance(value, datetime):
        return fmt.short_datetime(value, lang)
    if isinstance(value, date):
        return fmt.short_date(value, lang)
    return value
