"""Counting teams: add, change members, check the separation rules (tickets.segregation)."""
from __future__ import annotations

import sqlalchemy as sa

from tickets.errors import Conflict, CountappError, Label, N_, NotFound

# A role as a message says it, translated when shown.
ROLE_WORDS = {"manager": N_("inventory manager"), "centraliser": N_("centraliser"), "leader": N_("team leader"),
              "counter": N_("counter"), "auditor": N_("auditor")}
from tickets.segregation import TeamPlan, check_team

from ..extensions import db
from ..models import Campaign, Role, Team, User, Zone, zone_storekeeper
from . import audit
from . import campaigns as campaign_service
from .users import find_user

TEAM_ROLES = (Role.LEADER, Role.COUNTER)


def _plan(team: Team) -> TeamPlan:
    return TeamPlan(team.number, team.round, team.leader.login, frozenset(m.login for m in team.members),
                    frozenset(z.code for z in team.zones))


def _storekeepers(campaign: Campaign) -> dict[str, set[str]]:
    rows = db.session.execute(
        sa.select(Zone.code, User.login).join(zone_storekeeper, zone_storekeeper.c.zone_id == Zone.id)
        .join(User, User.id == zone_storekeeper.c.user_id).where(Zone.campaign_id == campaign.id))
    result: dict[str, set[str]] = {}
    for zone, login in rows:
        result.setdefault(zone, set()).add(login)
    return result


def teams_of(campaign: Campaign) -> list[Team]:
    return list(db.session.scalars(sa.select(Team).where(Team.campaign_id == campaign.id).order_by(Team.number)))


def _zones(campaign: Campaign, codes: list[str]) -> list[Zone]:
    zones = []
    for code in codes:
        zone = db.session.scalar(sa.select(Zone).where(Zone.campaign_id == campaign.id, Zone.code == code))
        if zone is None:
            raise CountappError(N_("Unknown zone %(zone)s in campaign %(code)s (zones come from the stock file)."),
                                field="zones", zone=code, code=campaign.code)
        zones.append(zone)
    return zones


def _team_person(login: str, what: str) -> User:
    user = find_user(login)
    if user.role not in TEAM_ROLES:
        raise CountappError(N_("%(login)s is a %(role)s: only team leaders and counters join counting teams."),
                            field=what, login=login, role=Label(ROLE_WORDS.get(user.role.value, user.role.value)))
    return user


def _check(campaign: Campaign, team: Team) -> None:
    others = [_plan(t) for t in teams_of(campaign) if t.id != team.id]
    check_team(_plan(team), others, _storekeepers(campaign))


def add_team(code: str, number: int, *, round: int, leader: str, members: list[str] = (), zones: list[str] = (),
             starts_at=None, ends_at=None, by: User | None = None) -> Team:
    """A new team of the campaign, refused if it breaks a separation rule."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    if db.session.scalar(sa.select(Team.id).where(Team.campaign_id == campaign.id, Team.number == number)):
        raise Conflict(N_("Team %(number)s already exists in campaign %(code)s."), field="number", number=number,
                       code=campaign.code)
    team = Team(campaign_id=campaign.id, number=number, round=round, leader=_team_person(leader, "leader"),
                members=[_team_person(m, "members") for m in dict.fromkeys(members) if m != leader],
                zones=_zones(campaign, list(dict.fromkeys(zones))), starts_at=starts_at, ends_at=ends_at)
    _check(campaign, team)
    db.session.add(team)
    db.session.flush()
    audit.record("team.add", campaign=campaign, entity="team", entity_id=number, user=by, after=_snapshot(team))
    db.session.commit()
    return team


def _snapshot(team: Team) -> dict:
    return {"number": team.number, "round": team.round, "leader": team.leader.login,
            "members": sorted(m.login for m in team.members), "zones": sorted(z.code for z in team.zones),
            "starts_at": team.starts_at, "ends_at": team.ends_at}


def get_team(campaign: Campaign, number: int) -> Team:
    team = db.session.scalar(sa.select(Team).where(Team.campaign_id == campaign.id, Team.number == number))
    if team is None:
        raise NotFound(N_("Unknown team %(number)s in campaign %(code)s."), field="team", number=number,
                       code=campaign.code)
    return team


def update_team(code: str, number: int, *, leader: str, members: list[str], zones: list[str], starts_at=None,
                ends_at=None, by: User | None = None) -> Team:
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    team = get_team(campaign, number)
    before = _snapshot(team)
    with db.session.no_autoflush:
        team.leader = _team_person(leader, "leader")
        team.members = [_team_person(m, "members") for m in dict.fromkeys(members) if m != leader]
        team.zones = _zones(campaign, list(dict.fromkeys(zones)))
        team.starts_at, team.ends_at = starts_at, ends_at
        _check(campaign, team)
    audit.record("team.update", campaign=campaign, entity="team", entity_id=number, user=by, before=before,
                 after=_snapshot(team))
    db.session.commit()
    return team


def _campaign_for(campaign_code: str | None) -> Campaign:
    if campaign_code:
        return campaign_service.get(campaign_code)
    campaign = db.session.scalar(sa.select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(1))
    if campaign is None:
        raise CountappError(N_("There is no campaign yet: create one before adding people to teams."), field="team")
    return campaign


def add_member(number: int, user: User, *, campaign_code: str | None = None, by: User | None = None) -> Team:
    """Put a user in a team (as a member), checking the separation rules."""
    campaign = _campaign_for(campaign_code)
    team = get_team(campaign, number)
    members = [m.login for m in team.members]
    if user.login not in members and user.id != team.leader_id:
        members.append(user.login)
    return update_team(campaign.code, number, leader=team.leader.login, members=members,
                       zones=[z.code for z in team.zones], starts_at=team.starts_at, ends_at=team.ends_at, by=by)


def team_of(user: User, campaign: Campaign) -> Team | None:
    """The user's team in the campaign (as leader or member)."""
    for team in teams_of(campaign):
        if team.leader_id == user.id or any(m.id == user.id for m in team.members):
            return team
    return None


def set_storekeeper(code: str, zone_code: str, login: str, *, by: User | None = None) -> None:
    """Mark a user as the storekeeper of a zone (refused if they count it)."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    zone = _zones(campaign, [zone_code])[0]
    user = find_user(login)
    for team in teams_of(campaign):
        if zone in team.zones and user.id in {p.id for p in team.people}:
            raise CountappError(
                N_("%(login)s counts zone %(zone)s in team %(team)s, so cannot be its storekeeper."), field="login",
                login=login, zone=zone_code, team=team.number)
    if user not in zone.storekeepers:
        zone.storekeepers.append(user)
        user.is_storekeeper = True
        audit.record("zone.storekeeper", campaign=campaign, entity="zone", entity_id=zone_code, user=by,
                     after={"storekeeper": login})
    db.session.commit()
