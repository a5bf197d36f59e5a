"""The timezone list people pick from: one entry per place, grouped by region.

`zoneinfo.available_timezones()` also holds aliases and oddities ("Factory", "localtime",
"US/Pacific", "Etc/GMT+5", "posixrules") that only confuse. The IANA `zone.tab` lists the
zones that stand for a place (one or more per country): those, plus UTC, grouped by their
region. A user whose saved value is outside that list still sees it, as the first choice.
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from importlib import resources
from pathlib import Path

REGIONS = ["Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
           "Europe", "Indian", "Pacific"]  # fmt: skip


def _zone_tab() -> str:
    try:
        return (resources.files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    for root in zoneinfo.TZPATH:
        path = Path(root) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


@cache
def place_zones() -> tuple[str, ...]:
    """Every zone named for a place, known to this Python, sorted."""
    available = zoneinfo.available_timezones()
    names = {
        line.split("\t")[2]
        for line in _zone_tab().splitlines()
        if line and not line.startswith("#") and len(line.split("\t")) >= 3
    }
    if not names:  # no zone.tab anywhere: keep region/city names, drop the rest
        names = {n for n in available if n.split("/")[0] in REGIONS and "/" in n}
    return tuple(sorted(names & available))


def label(name: str) -> str:
    """ "America/Argentina/Buenos_Aires" -> "Argentina / Buenos Aires" (under "America")."""
    return " / ".join(name.split("/")[1:]).replace("_", " ") or name


def grouped_choices(current: str = "") -> list:
    """Choices for a <select>: UTC, then an optgroup per region."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in place_zones():
        groups.setdefault(name.split("/")[0], []).append((name, label(name)))
    choices: list = [("UTC", "UTC (Coordinated Universal Time)")]
    if current and current != "UTC" and current not in place_zones():
        choices.insert(0, (current, f"{current} (your current setting)"))
    choices += [(region, groups[region]) for region in REGIONS if region in groups]
    return choices
