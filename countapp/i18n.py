"""Languages: French and English. Catalogs are compiled when the app starts if they are stale,
so an install needs no manual ``pybabel compile`` step."""
from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, request, session
from flask_babel import Babel
from flask_login import current_user

PACKAGE_TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGES = ("fr", "en")


def compile_catalogs(target: Path) -> list[Path]:
    """Compile every ``.po`` under the package into ``target`` when missing or older; return written files."""
    written = []
    for po_path in PACKAGE_TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        relative = po_path.relative_to(PACKAGE_TRANSLATIONS).with_suffix(".mo")
        mo_path = target / relative
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=relative.parts[0])
        tmp = mo_path.with_suffix(f".mo.{os.getpid()}")
        with tmp.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        os.replace(tmp, mo_path)  # atomic: two workers starting together never read half a file
        written.append(mo_path)
    return written


def _catalog_directory(app: Flask) -> Path:
    # Next to the .po files when the package is writable (an editable install), else the instance folder.
    if os.access(PACKAGE_TRANSLATIONS, os.W_OK):
        return PACKAGE_TRANSLATIONS
    return Path(app.instance_path) / "translations"


def select_locale() -> str:
    """The user's choice, then the session's (before log-in), then the browser, then the default (French)."""
    if getattr(current_user, "is_authenticated", False) and current_user.language in LANGUAGES:
        return current_user.language
    if session.get("language") in LANGUAGES:
        return session["language"]
    return request.accept_languages.best_match(LANGUAGES) or current_app.config.get("BABEL_DEFAULT_LOCALE", "fr")


def select_timezone() -> str:
    """The time zone of the campaign a page is about (``[company] time_zone``, Europe/Paris by default),
    else the application's (``BABEL_DEFAULT_TIMEZONE``, UTC).

    Times are stored in UTC; every ``|datetime`` and ``format_datetime`` shows them in this zone."""
    code = (request.view_args or {}).get("code") if request else None
    if isinstance(code, str) and code:
        from tickets.timezones import zone

        from .campaign_settings import time_zone
        from .extensions import db
        from .models import Campaign

        settings = db.session.execute(db.select(Campaign.settings).where(Campaign.code == code)).scalar()
        return zone(time_zone(settings or {})).key   # an unknown name falls back to Europe/Paris
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC"


def init_app(app: Flask, babel: Babel) -> None:
    directory = _catalog_directory(app)
    compile_catalogs(directory)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)


def message_gettext(message: str) -> str:
    """The request's translation of a domain message (no ``%`` applied: the caller fills it in).

    Its ``ngettext`` attribute lets ``tickets.errors.translate`` pick a plural form."""
    from flask_babel import get_translations

    return get_translations().gettext(message)


def _message_ngettext(singular: str, plural: str, number: int) -> str:
    from flask_babel import get_translations

    return get_translations().ngettext(singular, plural, number)


message_gettext.ngettext = _message_ngettext
