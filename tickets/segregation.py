"""Who may count what: the separation rules for teams (DOMAIN.md, issue 3).

- the same team never counts both rounds of a zone (a team has one round);
- one person is never in two teams of different rounds that share a zone (the 2nd count
  must be independent of the 1st);
- a storekeeper of a zone never counts it (storekeepers only answer questions).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import CountappError, N_


@dataclass(frozen=True)
class TeamPlan:
    number: int
    round: int
    leader: str
    members: frozenset[str] = field(default_factory=frozenset)
    zones: frozenset[str] = field(default_factory=frozenset)

    @property
    def people(self) -> frozenset[str]:
        return self.members | {self.leader}


def check_team(team: TeamPlan, others: list[TeamPlan], storekeepers: dict[str, set[str]]) -> None:
    """Refuse a team (new or changed) that breaks a separation rule; ``storekeepers`` maps zone → logins."""
    if team.round not in (1, 2):
        raise CountappError(N_("A team counts round 1 or round 2, not %(round)s."), field="round", round=team.round)
    if team.number <= 0:
        raise CountappError(N_("A team number is a whole number above 0."), field="number")
    for zone in sorted(team.zones):
        for login in sorted(team.people & storekeepers.get(zone, set())):
            raise CountappError(
                N_("%(login)s keeps the stock of zone %(zone)s and may not count it: storekeepers only answer "
                   "questions."), field="members", login=login, zone=zone)
    for other in others:
        if other.number == team.number:
            continue
        shared = team.zones & other.zones
        if not shared or other.round == team.round:
            continue
        for login in sorted(team.people & other.people):
            raise CountappError(
                N_("%(login)s is already in team %(other)s, which counts round %(other_round)s of zone %(zone)s: the "
                   "same person may not count both rounds of a zone."),
                field="members", login=login, other=other.number, other_round=other.round, zone=sorted(shared)[0])
