"""Tablets for the load benches (bench/count_load.py, bench/open_loop.py): a campaign counting rounds 1, 2
and 3 at once, and the counts its tablets will post, each valid when it arrives.

    layout = team_layout(200, (50, 40, 10))    # 10 teams a round, 100 + 80 counters, 20 leaders
    posts = prepare(url, work, layout, 30000)  # through the app's services
    sessions = log_in_all(port, layout.logins())   # over HTTP, the real log-in form

A round-1 post names an issued ticket; a round-2 post a ticket whose 1st count is in (entered before,
through services.counting); a round-3 post a ticket in recount (1st and 2nd counts that disagree) on a
recount sheet of the leader who posts it. Each post is sent by a user of the team the ticket was issued to
for that round (round 3: one of the sheet's two leaders), with that user's session cookie and CSRF token,
as the tablet pages do (``POST /api/v1/counts``, ``X-CSRFToken``). Posts are ordered so that every team
posts all the time (never one team after the other), rounds mixed in the proportions asked for.
"""
from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

CODE = "LOAD"
PASSWORD = "load-test-password"
SHEET_SIZE = 500    # services.recounts.MAX_SHEET_TICKETS


# ---------------------------------------------------------------- pure planning (tests/bench)

def parse_mix(text: str) -> tuple[int, int, int]:
    """``"50/40/10"``: the shares of rounds 1, 2 and 3 in percent (they add up to 100)."""
    parts = text.split("/")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"round mix {text!r}: three whole percentages, e.g. 50/40/10")
    mix = tuple(int(p) for p in parts)
    if sum(mix) != 100 or mix[0] == 0:
        raise ValueError(f"round mix {text!r}: the three shares add up to 100, round 1 above 0")
    return mix  # type: ignore[return-value]


def mix_pattern(mix: tuple[int, int, int]) -> list[int]:
    """The rounds of a short cycle with the mix's proportions, spread out (50/40/10: 10 posts, one of round 3)."""
    from math import gcd

    step = gcd(gcd(mix[0], mix[1]), mix[2]) if any(mix[1:]) else mix[0]
    counts = [m // step for m in mix]
    total = sum(counts)
    # Each round's posts at even spacing over the cycle (a Bresenham-like merge): no long runs of one round.
    slots = sorted((((i + 0.5) / n, r) for r, n in zip((1, 2, 3), counts) for i in range(n)))
    pattern = [r for _, r in slots]
    assert len(pattern) == total
    return pattern


@dataclass(frozen=True)
class Layout:
    """The counting teams: ``teams`` a round, their members (round 1, round 2) and a leader each."""
    teams: int
    members1: int
    members2: int
    mix: tuple[int, int, int]

    def members(self, round_: int, team: int) -> list[str]:
        """The logins of team ``team`` (0-based) of round 1 or 2, without its leader."""
        total = self.members1 if round_ == 1 else self.members2
        return [f"r{round_}c{i:03d}" for i in range(total) if i % self.teams == team]

    def leader(self, round_: int, team: int) -> str:
        return f"r{round_}lead{team:02d}"

    def logins(self) -> list[str]:
        """Every tablet: the counters of rounds 1 and 2, and the leaders (who enter the third counts)."""
        return ([f"r1c{i:03d}" for i in range(self.members1)] + [f"r2c{i:03d}" for i in range(self.members2)]
                + [self.leader(r, t) for r in (1, 2) for t in range(self.teams)])


def team_layout(tablets: int, mix: tuple[int, int, int]) -> Layout:
    """``tablets`` users split by the round mix: round-3 posts come from the leaders (two a sheet, one
    of a round-1 team and one of a round-2 team), so the round-3 share sets the number of teams."""
    teams = max(1, round(tablets * mix[2] / 100 / 2))
    leaders = 2 * teams
    members1 = max(teams, round(tablets * mix[0] / 100))
    members2 = max(teams, tablets - leaders - members1)
    return Layout(teams, members1, members2, mix)


@dataclass(frozen=True)
class Post:
    round: int
    sequence: int
    login: str
    quantity: int

    def body(self) -> str:
        """The JSON a tablet sends, with a client_id of its own."""
        return json.dumps({"campaign": CODE, "ticket": str(self.sequence), "round": self.round,
                           "quantity": str(self.quantity), "state": "good", "client_id": uuid.uuid4().hex},
                          separators=(",", ":"))


def team_number(layout: Layout, round_: int, team: int) -> int:
    """Teams are numbered from 1, those of round 1 first."""
    return team + 1 + (layout.teams if round_ == 2 else 0)


def quantity_of(sequence: int) -> int:
    return 1 + sequence % 97


def plan(layout: Layout, posts: int) -> tuple[list[Post], dict[int, int], dict[int, int]]:
    """The posts, in sending order, and each ticket's teams (sequence -> team index) for rounds 1 and 2.

    Tickets 1..n: round-1 team k holds the k-th block, round-2 team k the next block (never its own). The
    round of a ticket's post follows the mix's pattern along the sequence; posts take one ticket of each
    block in turn, so that all teams post at once. Round 3 goes to sheet k, of the leaders of both teams k.
    """
    pattern = mix_pattern(layout.mix)
    block = -(-posts // layout.teams)
    team1 = {s: (s - 1) // block for s in range(1, posts + 1)}
    team2 = {s: (t + 1) % layout.teams for s, t in team1.items()}
    members = {(r, t): layout.members(r, t) for r in (1, 2) for t in range(layout.teams)}
    turn: dict[tuple, int] = {}
    ordered = sorted(range(1, posts + 1), key=lambda s: ((s - 1) % block, team1[s]))
    result = []
    for s in ordered:
        round_ = pattern[s % len(pattern)]
        if round_ == 3:
            who = [layout.leader(1, team1[s]), layout.leader(2, team1[s])]
            key = (3, team1[s])
        else:
            key = (round_, team1[s] if round_ == 1 else team2[s])
            who = members[key]
        n = turn.get(key, 0)
        turn[key] = n + 1
        result.append(Post(round_, s, who[n % len(who)], quantity_of(s)))
    return result, team1, team2


def pool_line(post: Post, session: tuple[str, str]) -> str:
    """One line of a wrk pool file (bench/wrk/counts.lua): cookie, CSRF token and body, tab-separated."""
    cookie, csrf = session
    return f"{cookie}\t{csrf}\t{post.body()}"


# ---------------------------------------------------------------- the campaign, through the app's services

def prepare(url: str, work: Path, layout: Layout, posts: int) -> list[Post]:
    """A campaign counting, its teams, and tickets in the state each planned post needs; returns the posts."""
    os.environ["COUNTAPP_INSTANCE_PATH"] = str(work / "instance")
    from bench.gen_stock import generate_stock_csv
    from countapp import create_app
    from countapp.extensions import db
    from countapp.models import Ticket, TicketStatus, User
    from countapp.services import campaigns, counting, imports, recounts, schema, teams, tickets, users

    ordered, team1, team2 = plan(layout, posts)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "k" * 32})
    with app.app_context():
        schema.upgrade()
        campaigns.create(CODE, year=2025, count_date=date(2025, 12, 28), closing_date=date(2025, 12, 31))
        imports.import_file("stock", CODE, generate_stock_csv(work / "stock.csv", posts + posts // 20 + 50))
        boss = users.add_user("loadboss", "centraliser", PASSWORD)
        # One cheap hash for all the tablets: logging 200 users in is set-up here, not what is measured.
        cheap = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
        counters = [f"r{r}c{i:03d}" for r, n in ((1, layout.members1), (2, layout.members2)) for i in range(n)]
        leaders = [layout.leader(r, t) for r in (1, 2) for t in range(layout.teams)]
        db.session.execute(sa.insert(User), [
            {"login": login, "name": login, "role": "leader" if login in leaders else "counter",
             "password_hash": cheap} for login in counters + leaders])
        db.session.commit()
        for r in (1, 2):
            for t in range(layout.teams):
                teams.add_team(CODE, team_number(layout, r, t), round=r, leader=layout.leader(r, t),
                               members=layout.members(r, t))
        made = tickets.generate(CODE)
        if made["last"] - made["first"] + 1 < posts:   # the generator may merge a few lines
            raise SystemExit(f"{made['last'] - made['first'] + 1} tickets made for {posts} posts")
        for r, holder in ((1, team1), (2, team2)):
            spans: dict[int, list[int]] = {}
            for s, t in holder.items():
                spans.setdefault(t, []).append(s)
            for t, numbers in spans.items():
                for first, last in _runs(sorted(numbers)):
                    tickets.issue(CODE, team=team_number(layout, r, t), first=first, last=last)
        tickets.start_counting(CODE)
        user_of = {u.login: u for u in db.session.scalars(sa.select(User))}

        def count(round_: int, sequence: int, login: str, quantity: int) -> None:
            counting.submit_count(CODE, counting.CountInput(ticket=str(sequence), round=round_,
                                                            quantity=str(quantity)), user=user_of[login])

        earlier = [p for p in ordered if p.round > 1]
        for p in earlier:   # their 1st count
            count(1, p.sequence, layout.members(1, team1[p.sequence])[0], p.quantity)
        third = [p for p in earlier if p.round == 3]
        for p in third:     # a 2nd count far from the 1st: a third count is needed
            count(2, p.sequence, layout.members(2, team2[p.sequence])[0], 10 * p.quantity + 7)
        recounting = set(db.session.scalars(sa.select(Ticket.sequence).where(Ticket.status == TicketStatus.RECOUNT)))
        missing = [p.sequence for p in third if p.sequence not in recounting]
        if missing:
            raise SystemExit(f"{len(missing)} tickets meant for round 3 are not in recount (e.g. {missing[0]})")
        by_team: dict[int, list[int]] = {}
        for p in third:
            by_team.setdefault(team1[p.sequence], []).append(p.sequence)
        for t, numbers in by_team.items():
            for start in range(0, len(numbers), SHEET_SIZE):
                recounts.create_sheet(CODE, tickets=numbers[start:start + SHEET_SIZE], leader1=layout.leader(1, t),
                                      leader2=layout.leader(2, t), supervisor=boss)
        db.session.remove()
        db.engine.dispose()
    return ordered


def _runs(numbers: list[int]) -> Iterable[tuple[int, int]]:
    """Consecutive runs of sorted numbers as (first, last)."""
    first = last = numbers[0]
    for n in numbers[1:]:
        if n != last + 1:
            yield first, last
            first = n
        last = n
    yield first, last


# ---------------------------------------------------------------- log-in over HTTP, as a tablet does

def _request(port: int, method: str, path: str, cookies: dict, body: str = "", headers: dict | None = None):
    connection = HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "Accept-Language": "en",
                **(headers or {})}
        connection.request(method, path, body=body.encode() if body else None, headers=sent)
        response = connection.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def log_in(port: int, login: str) -> tuple[str, str]:
    """Log ``login`` in through the log-in form: its session cookie header and the pages' CSRF token."""
    cookies: dict[str, str] = {}
    _, page = _request(port, "GET", "/login", cookies)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    status, _ = _request(port, "POST", "/login", cookies,
                         urlencode({"csrf_token": token, "login": login, "password": PASSWORD}),
                         {"Content-Type": "application/x-www-form-urlencoded"})
    if status not in (302, 303):
        raise SystemExit(f"log-in of {login} failed ({status})")
    # Every page carries the token; the password page is a light one (the tablet page lists the team's tickets).
    _, page = _request(port, "GET", "/password", cookies)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), csrf


def log_in_all(port: int, logins: list[str]) -> dict[str, tuple[str, str]]:
    with ThreadPoolExecutor(8) as pool:
        return dict(zip(logins, pool.map(lambda login: log_in(port, login), logins)))
