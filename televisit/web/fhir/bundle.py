"""Searchset Bundles with paging: `_count` (default 50, at most 500) and `_offset`; the `next` link repeats
the search with the next offset, so a client follows links without knowing how we page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import request

from televisit.domain.errors import Invalid
from televisit.web.fhir.responses import as_dict

DEFAULT_COUNT, MAX_COUNT = 50, 500


@dataclass(frozen=True)
class Page:
    """Which part of a search to answer."""

    count: int
    offset: int

    @property
    def end(self) -> int:
        return self.offset + self.count


def _non_negative(name: str, raw: str | None, default: int, most: int | None = None) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise Invalid({name: "must be a whole number"})
    value = int(raw)
    return min(value, most) if most else value


def page_of(args) -> Page:
    """`_count` and `_offset` of a search (a `_count` past the most is cut to it, as FHIR allows)."""
    count = _non_negative("_count", args.get("_count"), DEFAULT_COUNT, MAX_COUNT)
    return Page(count, _non_negative("_offset", args.get("_offset"), 0))


def base_url() -> str:
    """The facade's base, e.g. `http://host/fhir`."""
    return request.url_root.rstrip("/") + "/fhir"


def _link(page: Page | None, offset: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "_offset"]
    if page is not None:
        args = [(k, v) for k, v in args if k != "_count"] + [("_count", str(page.count)), ("_offset", str(offset))]
    query = urlencode(args)
    return f"{request.base_url}{'?' + query if query else ''}"


def searchset(resources, page: Page, *, total: int | None = None, more: bool | None = None) -> dict:
    """A searchset Bundle of this page's `resources` (models or dicts). `total` when known; otherwise `more`
    says whether a next page exists (a computed search need not count everything)."""
    # `_count=0` asks only for the total: a next link would name the same page again, and a client would loop
    has_next = page.count > 0 and (more if more is not None else (total is not None and page.end < total))
    links = [{"relation": "self", "url": _link(page, page.offset)}]
    if has_next:
        links.append({"relation": "next", "url": _link(page, page.end)})
    if page.offset and page.count:
        links.append({"relation": "previous", "url": _link(page, max(page.offset - page.count, 0))})
    bundle = {"resourceType": "Bundle", "type": "searchset", "link": links, "entry": []}
    if total is not None:
        bundle["total"] = total
    for resource in resources:
        data = as_dict(resource)
        entry = {"fullUrl": f"{base_url()}/{data['resourceType']}/{data['id']}", "resource": data}
        bundle["entry"].append(entry | {"search": {"mode": "match"}})
    return bundle
