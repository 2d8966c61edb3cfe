"""Inputs of the facade's operations and searches: a `Parameters` body (POST) or the query string (GET, where
the operation allows it), read as (name, text) pairs, plus the resources a body carries; and the parsers of
what those texts hold (references, tokens, dates, FHIR search date prefixes). Every problem is a 422 naming
the parameter (a body that is not a Parameters resource: 400)."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta

from fhir.resources.R4B.parameters import Parameters
from flask import request
from pydantic import ValidationError

from televisit.domain.errors import Invalid, Malformed
from televisit.domain.timezones import UTC, BadInstant, NaiveDatetime, parse_date, parse_instant
from televisit.web.fhir.bundle import base_url

_ID = re.compile(r"[1-9][0-9]{0,8}")
MIN_YEAR, MAX_YEAR = 1900, 2999


class OpParams:
    """What a caller sent, as (name, text) pairs in order, and resources by name."""

    def __init__(self, pairs: list[tuple[str, str]], resources: dict[str, list[dict]] | None = None):
        self.pairs = pairs
        self.resources = resources or {}

    @classmethod
    def from_request(cls, *, allow_get: bool = False) -> OpParams:
        """The request's parameters (the query string of a GET when `allow_get`, else a Parameters body)."""
        if request.method == "GET" and allow_get:
            return cls([(k, v) for k, v in request.args.items(multi=True)])
        return _from_body(request.get_json(silent=True, force=True))

    def all(self, *names: str, split: bool = False) -> list[str]:
        """Every value of any of `names` (`split`: a comma in a value separates alternatives, as in a search)."""
        out = [v for k, v in self.pairs if k in names]
        return [part for v in out for part in v.split(",")] if split else out

    def one(self, *names: str, required: bool = False) -> str | None:
        """The single value of `names[0]` (or an alias); Invalid when repeated, or missing and `required`."""
        found = self.all(*names)
        if len(found) > 1:
            raise Invalid({names[0]: "give it once"})
        if not found and required:
            raise Invalid({names[0]: "required"})
        return found[0] if found else None

    def resource(self, name: str) -> dict | None:
        """The single resource sent as `name`, if any."""
        found = self.resources.get(name, [])
        if len(found) > 1:
            raise Invalid({name: "give it once"})
        return found[0] if found else None

    def names(self) -> set[str]:
        return {k for k, _ in self.pairs} | set(self.resources)


def _from_body(data) -> OpParams:
    if not isinstance(data, dict) or data.get("resourceType") != "Parameters":
        raise Malformed("The body must be a FHIR Parameters resource (Content-Type: application/fhir+json).")
    try:
        Parameters.model_validate(data)
    except ValidationError as exc:
        raise Invalid({"parameter": first_problem(exc)}) from exc
    except (TypeError, ValueError, RecursionError) as exc:
        raise Malformed("The body is not a valid Parameters resource.") from exc
    pairs, resources = [], defaultdict(list)
    for p in data.get("parameter") or []:
        if "resource" in p:
            resources[p["name"]].append(p["resource"])
        else:
            pairs.append((p["name"], _text(p)))
    return OpParams(pairs, resources)


def first_problem(exc: ValidationError) -> str:
    """The first problem pydantic found, as `where: what` (never the value sent: it may be a patient's)."""
    err = exc.errors()[0]
    return f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}"[:300]


def _text(p: dict) -> str:
    """A parameter's value as the text a query string would carry."""
    kind, value = next(((k, v) for k, v in p.items() if k.startswith("value")), (None, None))
    if kind is None:
        raise Invalid({p["name"]: "needs a value"})
    if kind == "valueReference":
        if not value.get("reference"):
            raise Invalid({p["name"]: "a literal reference, such as Practitioner/12 (identifiers are not resolved)"})
        return value["reference"]
    if kind == "valueCoding":
        return f"{value['system']}|{value.get('code', '')}" if value.get("system") else str(value.get("code", ""))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    raise Invalid({p["name"]: f"{kind} is not understood here"})


def ref_id(text: str, resource_type: str, name: str) -> str:
    """The id in a reference to one of our `resource_type` resources: `Type/<id>`, `<our base>/Type/<id>` or a
    bare id; Invalid for another server's or another type's."""
    if "://" in text:
        ours = f"{base_url()}/{resource_type}/"
        if not text.startswith(ours):
            raise Invalid({name: f"a reference to one of this server's {resource_type} resources"})
        return text[len(ours) :]
    kind, slash, rest = text.rpartition("/")
    if slash and kind != resource_type:
        raise Invalid({name: f"a reference to a {resource_type}, such as {resource_type}/12"})
    return rest


def int_ref(text: str, resource_type: str, name: str) -> int:
    """`ref_id` of a stored resource (a positive whole number)."""
    value = ref_id(text, resource_type, name)
    if not _ID.fullmatch(value):
        raise Invalid({name: f"a reference to a {resource_type}, such as {resource_type}/12"})
    return int(value)


def token(text: str) -> tuple[str | None, str]:
    """A token `system|code`, `|code` (no system: '') or `code` (any system: None)."""
    system, bar, code = text.partition("|")
    return (system, code) if bar else (None, text)


def when(text: str, name: str) -> datetime | date:
    """A FHIR date (YYYY-MM-DD) or an instant with its offset (a time needs one, as FHIR requires)."""
    try:
        value = parse_date(text) if len(text) == 10 else parse_instant(text)
    except NaiveDatetime as exc:
        raise Invalid({name: "a time needs its UTC offset, e.g. 2027-03-08T09:00:00-05:00"}) from exc
    except (BadInstant, ValueError) as exc:
        raise Invalid({name: "a date (YYYY-MM-DD) or a date and time with its offset"}) from exc
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise Invalid({name: f"between the years {MIN_YEAR} and {MAX_YEAR}"})
    return value


PREFIXES = ("eq", "gt", "lt", "ge", "le")


def date_bounds(values: list[str], name: str = "date") -> tuple[datetime | None, datetime | None]:
    """[lo, hi) of instants meeting every FHIR date search value (prefixes eq, gt, ge, lt, le; a date is its UTC
    day, an instant its second)."""
    lows, highs = [], []
    for raw in values:
        prefix = raw[:2] if raw[:2].isalpha() else "eq"
        if prefix not in PREFIXES:
            raise Invalid({name: f"prefixes {', '.join(PREFIXES)} are understood"})
        value = when(raw[2:] if raw[:2].isalpha() else raw, name)
        start = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day, tzinfo=UTC)
        end = start + (timedelta(seconds=1) if isinstance(value, datetime) else timedelta(days=1))
        if prefix in ("eq", "ge", "gt"):
            lows.append(end if prefix == "gt" else start)
        if prefix in ("eq", "le", "lt"):
            highs.append(start if prefix == "lt" else end)
    return (max(lows) if lows else None), (min(highs) if highs else None)
