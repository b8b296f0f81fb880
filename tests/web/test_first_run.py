"""An empty installation creates its first manager in the browser; the form is gone once anyone exists."""
from __future__ import annotations

from countapp.models import Role, User
from countapp.extensions import db

from ..conftest import PASSWORD


def test_an_empty_installation_sends_the_visitor_to_create_the_first_manager(client):
    assert client.get("/login").headers["Location"].endswith("/welcome")
    page = client.get("/welcome").get_data(as_text=True)
    assert "first manager" in page


def test_the_first_manager_is_created_logged_in_and_the_form_closes(client):
    answer = client.post("/welcome", data={"login": "marie", "name": "Marie Curie", "language": "fr",
                                           "password": PASSWORD, "confirm": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/")
    user = db.session.scalar(db.select(User).filter_by(login="marie"))
    assert user.role == Role.MANAGER and user.language == "fr"
    assert client.get("/").status_code == 200                      # logged in at once
    client.post("/logout")
    assert client.get("/welcome").headers["Location"].endswith("/login")   # never again
    again = client.post("/welcome", data={"login": "eve", "language": "en", "password": PASSWORD,
                                          "confirm": PASSWORD})
    assert again.status_code == 302 and db.session.scalar(db.select(User).filter_by(login="eve")) is None
    assert client.get("/login").status_code == 200


def test_mismatched_passwords_are_refused_and_nothing_is_created(client):
    page = client.post("/welcome", data={"login": "marie", "language": "en", "password": PASSWORD,
                                         "confirm": PASSWORD + "x"})
    assert page.status_code == 200 and "The two passwords differ." in page.get_data(as_text=True)
    assert db.session.scalar(db.select(User.id)) is None
