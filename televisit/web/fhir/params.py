"""Reading a search's parameters the FHIR way: each occurrence of a parameter is required (AND), the
comma-separated values of one occurrence are alternatives (OR); tokens are `code` or `system|code`,
references `Type/id` (or a bare id, or an absolute URL ending so), dates `[prefix]YYYY[-MM[-DD]]`.

A parameter we do not support is refused (422 naming it), not silently ignored: a client that thinks it
filtered must not get everything. `Prefer: handling=lenient` asks for FHIR's other behaviour (ignore it).
"""

from __future__ import annotations

import re
from datetime import date

from flask import request

from televisit.domain.errors import Invalid
from televisit.web.fhir.capabilities import GENERAL_PARAMS, search_params

_DATE = re.compile(r"^(eq|ge|gt|le|lt)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def occurrences(resource_type: str) -> list[tuple[str, list[str]]]:
    """(name, values) of each parameter of this search, in order, after refusing unknown ones (unless the
    client asked for leniency) and dropping empty ones (FHIR: an empty parameter is ignored)."""
    known = set(search_params(resource_type)) | set(GENERAL_PARAMS)
    unknown = sorted({name for name in request.args if name not in known})
    if unknown and not _lenient():
        problems = {name: f"{resource_type} has no search parameter {name!r}" for name in unknown}
        raise Invalid(problems, f"Unknown search parameter: {', '.join(unknown)}.")
    found = []
    for name, raw in request.args.items(multi=True):
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if name in known and name not in GENERAL_PARAMS and values:
            found.append((name, values))
    return found


def _lenient() -> bool:
    prefer = request.headers.get("Prefer", "")
    return any(part.replace(" ", "").lower() == "handling=lenient" for part in re.split(r"[;,]", prefer))


def token(value: str, system: str | None) -> str | None:
    """The code of a token `code` or `system|code` when the system (if given) is `system`; None: it cannot match."""
    if "|" not in value:
        return value
    given, _, code = value.partition("|")
    return code if given == system and code else None


def reference(name: str, value: str, types: tuple[str, ...]) -> tuple[str | None, str]:
    """(type or None for a bare id, id) of a reference parameter; Invalid when it names another type."""
    parts = value.rstrip("/").split("/")
    if len(parts) == 1:
        return None, parts[0]
    if parts[-2] not in types:
        raise Invalid({name: f"expected a reference to {' or '.join(types)}, e.g. {types[0]}/12"})
    return parts[-2], parts[-1]


def number(value: str) -> int | None:
    """The integer id `value` names, or None when it is not one of ours (then nothing matches)."""
    return int(value) if value.isdigit() and len(value) <= 9 else None


def date_span(name: str, value: str) -> tuple[date | None, date | None]:
    """The dates a date parameter accepts, as (from, before) with either end open: `1958`, `ge1958-03`,
    `lt1958-03-14`... (a partial date is the whole of its year or month). Invalid when it is not one."""
    m = _DATE.match(value)
    if not m:
        raise Invalid({name: "expected a date YYYY, YYYY-MM or YYYY-MM-DD, optionally after eq, ge, gt, le or lt"})
    prefix, year, month, day = m.group(1) or "eq", int(m.group(2)), m.group(3), m.group(4)
    try:
        lo = date(year, int(month or 1), int(day or 1))
        hi = _after(lo, month is None, day is None)
    except ValueError as exc:
        raise Invalid({name: "there is no such date"}) from exc
    return {"eq": (lo, hi), "ge": (lo, None), "gt": (hi, None), "le": (None, hi), "lt": (None, lo)}[prefix]


def _after(lo: date, whole_year: bool, whole_month: bool) -> date:
    if whole_year:
        return date(lo.year + 1, 1, 1)
    if whole_month:
        return date(lo.year + (lo.month == 12), lo.month % 12 + 1, 1)
    return date.fromordinal(lo.toordinal() + 1)
