"""Commands on a database that is not ready say so plainly (no traceback) and exit 1."""
from __future__ import annotations

from countapp import add_pages, create_app


def test_a_command_on_an_empty_database_asks_for_init(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}"})
    result = app.test_cli_runner().invoke(args=["campaign", "show", "FY2025"])
    assert result.exit_code == 1
    assert "countapp init" in result.output
    assert "Traceback" not in result.output


def test_a_command_on_an_unreachable_database_names_it(tmp_path):
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    result = app.test_cli_runner().invoke(args=["campaign", "show", "FY2025"])
    assert result.exit_code == 1
    assert "cannot reach the database postgresql+psycopg://postgres@127.0.0.1:1/nowhere" in result.output


def test_the_command_line_app_has_no_pages_until_a_command_serves(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite'}"},
                     pages=False)
    assert not app.blueprints and "healthz" not in app.view_functions
    result = app.test_cli_runner().invoke(args=["routes"])   # `countapp routes` adds them, as serve and run do
    assert result.exit_code == 0, result.output
    assert "auth.login" in result.output and "/healthz" in result.output
    served = set(app.view_functions)
    add_pages(app)                                           # once only: a second call changes nothing
    assert set(app.view_functions) == served
