"""What the tablet page shows around the counting itself: the campaign's time zone, the day the team
counts, the shell files a service worker keeps for offline reloads. Plain functions of the campaign."""
from __future__ import annotations

import hashlib
import json
import zoneinfo
from datetime import date
from pathlib import Path

DEFAULT_TIME_ZONE = "Europe/Paris"
# The cache where the service worker keeps counting pages; the page empties it when its user logs out.
PAGE_CACHE = "countapp-pages"
# What a tablet needs to show the counting page without the network (static/sw.js caches them).
SHELL_FILES = ("countapp.css", "counting.css", "tablet_kit.js", "counting.js", "favicon.svg")
# The same for the cycle counts' tablet (/cycles/<programme>/count).
CYCLE_SHELL_FILES = ("countapp.css", "counting.css", "cycles.css", "tablet_kit.js", "cycle_tablet.js", "favicon.svg")
# Loaded on the first camera scan only; cached when they can be, never blocking the rest.
OPTIONAL_FILES = ("vendor/zxing-wasm/zxing-reader.iife.js", "vendor/zxing-wasm/zxing_reader.wasm")


def time_zone(settings: dict | None) -> str:
    """The campaign's time zone (settings ``[company] time_zone``), the default when unset or unknown."""
    company = (settings or {}).get("company") or {}
    name = company.get("time_zone") if isinstance(company, dict) else None
    if not isinstance(name, str) or not name.strip():
        return DEFAULT_TIME_ZONE
    try:
        zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return DEFAULT_TIME_ZONE
    return name.strip()


def _as_date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def count_dates(campaign_date: date, settings: dict | None, zones: list[tuple[str, str | None]]
                ) -> list[tuple[date, list[str]]]:
    """The day(s) a team counts: each of its ``(zone, site)`` on its own date (settings ``[count_dates]``,
    by zone, then by site), else on the campaign's count date; earliest first."""
    own = (settings or {}).get("count_dates") or {}
    if not isinstance(own, dict):
        own = {}
    days: dict[date, list[str]] = {}
    for zone, site in zones:
        day = _as_date(own.get(zone)) or (_as_date(own.get(site)) if site else None) or campaign_date
        days.setdefault(day, []).append(zone)
    if not days:
        return [(campaign_date, [])]
    return sorted((day, sorted(codes)) for day, codes in days.items())


def shell_version(static_folder: str, worker: Path, files: tuple[str, ...] = SHELL_FILES + OPTIONAL_FILES) -> str:
    """Changes whenever a cached file or the worker changes, so tablets drop their old copies."""
    digest = hashlib.sha256()
    for path in [worker, *(Path(static_folder) / name for name in files)]:
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def rendering(data: dict) -> str:
    """A name for what a tablet page shows (the same lists, the same name)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]
