"""The base: app factory, database constraints, log-in, role guard, languages, init."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from countapp import create_app
from countapp.config import ConfigError
from countapp.extensions import db
from countapp.models import (BookLine, Campaign, Count, Item, Location, Site, Ticket, TicketVoid, User, Zone)
from countapp.web.security import PUBLIC_ENDPOINTS

from .conftest_helpers import example_url


def test_production_refuses_to_start_without_secret_key(monkeypatch, database_url):
    monkeypatch.setenv("COUNTAPP_ENV", "production")
    monkeypatch.setenv("COUNTAPP_AUDIT_KEY", "a" * 64)
    monkeypatch.delenv("COUNTAPP_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="COUNTAPP_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url})


def test_production_refuses_to_start_without_the_audit_key(monkeypatch, database_url):
    """Each machine would otherwise make its own key file and seal the one chain with several keys."""
    monkeypatch.setenv("COUNTAPP_ENV", "production")
    monkeypatch.setenv("COUNTAPP_SECRET_KEY", "x" * 40)
    monkeypatch.delenv("COUNTAPP_AUDIT_KEY", raising=False)
    with pytest.raises(ConfigError, match="COUNTAPP_AUDIT_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url})


def test_production_session_cookies_are_secure(monkeypatch, database_url):
    monkeypatch.setenv("COUNTAPP_ENV", "production")
    monkeypatch.setenv("COUNTAPP_AUDIT_KEY", "a" * 64)
    monkeypatch.setenv("COUNTAPP_SECRET_KEY", "x" * 40)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    with app.app_context():
        db.engine.dispose()


def test_sqlite_has_foreign_keys_and_wal(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _stock(campaign):
    site = Site(campaign_id=campaign.id, code="S1")
    db.session.add(site)
    db.session.flush()
    zone = Zone(campaign_id=campaign.id, site_id=site.id, code="Z1")
    db.session.add(zone)
    db.session.flush()
    location = Location(campaign_id=campaign.id, zone_id=zone.id, code="A-01")
    item = Item(campaign_id=campaign.id, reference="R1", designation="Bolt", unit="pc", category="raw_materials")
    db.session.add_all([location, item])
    db.session.flush()
    return item, location


def _refused(statement_or_object, *, flush=True):
    with pytest.raises((IntegrityError, DBAPIError, StatementError, LookupError, ValueError)):
        if flush:
            db.session.add(statement_or_object)
            db.session.flush()
        else:
            db.session.execute(statement_or_object)
    db.session.rollback()


def test_database_refuses_negative_book_quantity(make_campaign):
    campaign = make_campaign()
    item, location = _stock(campaign)
    _refused(BookLine(campaign_id=campaign.id, item_id=item.id, location_id=location.id, lot="",
                      book_qty=Decimal("-1"), unit_cost=Decimal("2")))


def test_database_refuses_duplicate_book_line(make_campaign):
    campaign = make_campaign()
    item, location = _stock(campaign)
    db.session.add(BookLine(campaign_id=campaign.id, item_id=item.id, location_id=location.id, lot="L1",
                            book_qty=Decimal("1"), unit_cost=Decimal("2")))
    db.session.flush()
    _refused(BookLine(campaign_id=campaign.id, item_id=item.id, location_id=location.id, lot="L1",
                      book_qty=Decimal("3"), unit_cost=Decimal("2")))


def test_database_refuses_a_book_line_naming_another_campaigns_item_or_location(make_campaign):
    campaign, other = make_campaign(), make_campaign(code="FY2025B")
    item, location = _stock(campaign)
    other_item, other_location = _stock(other)
    db.session.commit()   # the first refusal rolls back: the items and places stay for the second
    db.session.add(BookLine(campaign_id=campaign.id, item_id=item.id, location_id=location.id, lot="",
                            book_qty=Decimal("1"), unit_cost=Decimal("2")))
    db.session.flush()    # the line of its own campaign goes in
    _refused(BookLine(campaign_id=campaign.id, item_id=other_item.id, location_id=location.id, lot="",
                      book_qty=Decimal("1"), unit_cost=Decimal("2")))
    _refused(BookLine(campaign_id=campaign.id, item_id=item.id, location_id=other_location.id, lot="",
                      book_qty=Decimal("1"), unit_cost=Decimal("2")))


def test_database_refuses_unknown_role_value(app):
    _refused(sa.text("INSERT INTO user_account (login, name, role, password_hash, is_storekeeper, active, created_at) "
                     "VALUES ('x', 'x', 'boss', 'h', false, true, CURRENT_TIMESTAMP)"), flush=False)


def test_database_refuses_unknown_category_value(make_campaign):
    campaign = make_campaign()
    _refused(sa.text(f"INSERT INTO item (campaign_id, reference, designation, unit, category) "
                     f"VALUES ({campaign.id}, 'R9', 'x', 'pc', 'gold')"), flush=False)


def test_database_takes_a_count_date_after_the_closing_date(app):
    """A count in the first days of January rolls back to the closing date (issue 18): the database no
    longer forbids it; how far apart the dates may be is the service's rule (test_count_dates)."""
    db.session.add(Campaign(code="JAN", fiscal_year=2025, count_date=date(2026, 1, 5), closing_date=date(2025, 12, 31)))
    db.session.commit()
    assert db.session.scalar(sa.select(Campaign.count_date).where(Campaign.code == "JAN")) == date(2026, 1, 5)


def test_ticket_numbers_are_unique_per_campaign(make_campaign):
    campaign = make_campaign()
    db.session.add(Ticket(campaign_id=campaign.id, sequence=1, is_blank=True))
    db.session.flush()
    _refused(Ticket(campaign_id=campaign.id, sequence=1, is_blank=True))


def _ticket_with_count(campaign):
    ticket = Ticket(campaign_id=campaign.id, sequence=1, is_blank=True)
    db.session.add(ticket)
    db.session.flush()
    count = Count(ticket_id=ticket.id, round=1, quantity=Decimal("5"), counted_at=sa.func.now())
    void = TicketVoid(ticket_id=ticket.id, reason="spoiled")
    db.session.add_all([count, void])
    db.session.commit()
    return ticket


@pytest.mark.parametrize("statement", [
    "DELETE FROM ticket", "DELETE FROM count", "DELETE FROM ticket_void",
    "UPDATE count SET quantity = 6", "UPDATE ticket_void SET reason = 'other'", "UPDATE ticket SET sequence = 2",
])
def test_database_refuses_deleting_or_rewriting_tickets_counts_and_voids(make_campaign, statement):
    _ticket_with_count(make_campaign())
    _refused(sa.text(statement), flush=False)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_ticket_status_may_change(make_campaign):
    _ticket_with_count(make_campaign())
    db.session.execute(sa.text("UPDATE ticket SET status = 'voided'"))
    db.session.commit()


def test_database_refuses_negative_count(make_campaign):
    campaign = make_campaign()
    ticket = Ticket(campaign_id=campaign.id, sequence=1, is_blank=True)
    db.session.add(ticket)
    db.session.flush()
    _refused(Count(ticket_id=ticket.id, round=1, quantity=Decimal("-2"), counted_at=sa.func.now()))


def test_one_original_count_per_ticket_and_round(make_campaign):
    campaign = make_campaign()
    ticket = Ticket(campaign_id=campaign.id, sequence=1, is_blank=True)
    db.session.add(ticket)
    db.session.flush()
    db.session.add(Count(ticket_id=ticket.id, round=1, quantity=Decimal("2"), counted_at=sa.func.now()))
    db.session.flush()
    _refused(Count(ticket_id=ticket.id, round=1, quantity=Decimal("3"), counted_at=sa.func.now()))


def test_passwords_are_hashed(make_user):
    user = make_user("alice", "manager")
    assert "correct-horse" not in user.password_hash and user.check_password("correct-horse-battery")


def _urls(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        yield rule, example_url(rule)


def test_every_route_refuses_anonymous_users(app, client):
    checked = 0
    for rule, url in _urls(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if url.startswith("/api/"):
                assert response.status_code == 401, (method, url)
            else:
                assert response.status_code in (302, 303), (method, url, response.status_code)
                assert "/login" in response.headers["Location"]
            checked += 1
    assert checked > 3


# The role x route matrix (declared roles, auditor read-only, campaign scope) is tests/web/test_route_matrix.py.


def test_login_with_wrong_password_is_refused(client, make_user):
    make_user("bob", "manager")
    response = client.post("/login", data={"login": "bob", "password": "nope"}, follow_redirects=True)
    assert "Unknown login or wrong password" in response.get_data(as_text=True) or \
        "Identifiant inconnu" in response.get_data(as_text=True)


def test_login_refuses_redirect_to_another_site(client, make_user):
    make_user("bob", "manager")
    response = client.post("/login", data={"login": "bob", "password": "correct-horse-battery",
                                           "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_language_follows_browser_then_user_choice(client, make_user, login_as):
    user = make_user("claire", "manager")
    login_as(client, user)
    french = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "Campagnes d’inventaire" in french and "Count campaigns" in english
    client.post("/language", data={"language": "en"})
    assert db.session.get(User, user.id).language == "en"
    again = client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert "Count campaigns" in again


def test_language_switch_before_login(client, make_user):
    make_user("someone")  # an installation with users shows the log-in page (an empty one, the first-run form)
    client.post("/language", data={"language": "en"})
    assert "Log in" in client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    client.post("/language", data={"language": "fr"})
    assert "Se connecter" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_dates_are_formatted_for_the_locale(client_as, make_campaign):
    make_campaign(count_date=date(2025, 12, 30), closing_date=date(2025, 12, 31))
    manager = client_as("manager")
    assert "30 déc. 2025" in manager.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    manager.post("/language", data={"language": "en"})
    assert "Dec 30, 2025" in manager.get("/").get_data(as_text=True)


def test_forms_are_csrf_protected(database_url, make_user):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["WTF_CSRF_ENABLED"]
    with app.app_context():
        make_user("dan", "manager")
        response = app.test_client().post("/login", data={"login": "dan", "password": "correct-horse-battery"})
        assert response.status_code == 400
        db.engine.dispose()


def test_init_twice_is_harmless(runner):
    first = runner.invoke(args=["init"])
    second = runner.invoke(args=["init"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "up to date" in second.output


def test_user_add_command(runner):
    result = runner.invoke(args=["user", "add", "eve", "--role", "auditor", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.login == "eve"))
    assert user.role.value == "auditor" and user.check_password("long-enough-1")


def test_user_add_refuses_bad_role_and_duplicate(runner):
    assert runner.invoke(args=["user", "add", "x", "--role", "boss", "--password", "long-enough-1"]).exit_code != 0
    runner.invoke(args=["user", "add", "eve", "--role", "counter", "--password", "long-enough-1"])
    again = runner.invoke(args=["user", "add", "eve", "--role", "counter", "--password", "long-enough-1"])
    assert again.exit_code == 1 and "already taken" in again.output


def test_static_assets_are_local(client):
    page = client.get("/login").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page
    assert client.get("/static/countapp.css").status_code == 200
