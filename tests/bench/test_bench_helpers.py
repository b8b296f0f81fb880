"""The load benches' pure helpers: the round mix, who posts which ticket, the figures read back."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from bench.common import median, percentile
from bench.count_load import parse_wrk
from bench.open_loop import posts_needed
from bench.profile_summary import by_app_function, heaviest, parse
from bench.tablets import Post, mix_pattern, parse_mix, plan, pool_line, team_layout


def test_mix_is_three_shares_of_a_hundred():
    assert parse_mix("50/40/10") == (50, 40, 10)
    for wrong in ("50/50", "50/40/20", "a/b/c", "0/90/10"):
        with pytest.raises(ValueError):
            parse_mix(wrong)


def test_pattern_keeps_the_proportions_and_spreads_the_rounds():
    pattern = mix_pattern((50, 40, 10))
    assert Counter(pattern) == {1: 5, 2: 4, 3: 1}
    assert "1111" not in "".join(map(str, pattern))
    assert mix_pattern((100, 0, 0)) == [1]


def test_layout_gives_two_leaders_a_team_pair_for_round_three():
    layout = team_layout(200, (50, 40, 10))
    assert (layout.teams, layout.members1, layout.members2) == (10, 100, 80)
    assert len(layout.logins()) == len(set(layout.logins())) == 200
    assert sum(len(layout.members(1, t)) for t in range(layout.teams)) == 100


def test_plan_posts_each_ticket_once_by_a_user_entitled_to_it():
    layout = team_layout(40, (50, 40, 10))
    posts, team1, team2 = plan(layout, 400)
    assert sorted(p.sequence for p in posts) == list(range(1, 401))
    assert Counter(p.round for p in posts) == {1: 200, 2: 160, 3: 40}
    for p in posts:
        if p.round == 1:
            assert p.login in layout.members(1, team1[p.sequence])
        elif p.round == 2:
            assert p.login in layout.members(2, team2[p.sequence])
        else:
            assert p.login in (layout.leader(1, team1[p.sequence]), layout.leader(2, team1[p.sequence]))
    assert all(team1[s] != team2[s] for s in team1)
    # every team posts from the start: the first posts come from all round-1 blocks
    assert len({team1[p.sequence] for p in posts[:layout.teams]}) == layout.teams


def test_pool_line_carries_the_session_and_a_fresh_client_id():
    post = Post(2, 17, "r2c001", 18)
    cookie, csrf, body = pool_line(post, ("session=abc", "tok")).split("\t")
    data = json.loads(body)
    assert (cookie, csrf, data["ticket"], data["round"], data["quantity"]) == ("session=abc", "tok", "17", 2, "18")
    assert json.loads(post.body())["client_id"] != data["client_id"]


def test_percentiles_and_medians():
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50, 99, 100)
    assert percentile([], 99) != percentile([], 99)   # NaN
    assert median([3, 1, 2]) == 2


def test_wrk_figures_count_only_accepted_posts():
    output = ('Running 10s test\nBENCH_JSON {"requests": 1000, "duration_us": 10000000, "connect_errors": 0, '
              '"read_errors": 2, "write_errors": 0, "timeouts": 1, "p50_us": 9000, "p90_us": 20000, '
              '"p99_us": 45000, "max_us": 90000, "most_sent": 510, "exhausted": 0, '
              '"statuses": {"201": 990, "409": 10}}\n')
    figures = parse_wrk(output)
    assert figures["rate"] == 99.0 and figures["errors"] == 13


def test_open_loop_prepares_more_than_each_tablet_is_expected_to_send():
    assert posts_needed(100, 30, 200) > 100 * 30


def test_profile_shares_are_of_the_request_samples():
    text = ("process 1;run (gunicorn/arbiter.py:1);wsgi_app (flask/app.py:2) 1\n"
            "process 1;Flask.wsgi_app (/x/site-packages/flask/app.py:9);submit_count (/w/countapp/services/c.py:5) 3\n"
            "process 1;Flask.wsgi_app (/x/site-packages/flask/app.py:9);guard (/w/countapp/web/s.py:7) 1\n"
            "process 1;handle (gunicorn/workers/sync.py:3);close_graceful (gunicorn/util.py:4) 5\n")
    assert parse(text)[1][0][-1] == "submit_count (countapp/services/c.py)"
    report = heaviest(text)
    assert "75.0 %  submit_count (countapp/services/c.py)" in report
    assert "close_graceful) 5 (50 %)" in report


def test_profile_names_the_app_function_waiting_in_the_driver():
    text = ("Flask.wsgi_app (flask/app.py:1);load_user (countapp/web/security.py:80);"
            "DefaultDialect.do_execute (sqlalchemy/engine/default.py:9) 2\n"
            "Flask.wsgi_app (flask/app.py:1);submit_count (countapp/services/counting.py:3) 1\n")
    totals = by_app_function(parse(text))
    assert totals[("load_user (countapp/web/security.py)", True)] == 2
    assert totals[("submit_count (countapp/services/counting.py)", False)] == 1


def test_count_import_figure_is_per_100k_lines():
    from bench.count_import import per_100k

    assert per_100k(19.9, 198_996) == pytest.approx(10.0, abs=0.01)
    assert per_100k(5.0, 100_000) == 5.0
