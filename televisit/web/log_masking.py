"""Secrets and patient data stay out of every log line: URL tokens masked, query strings dropped.

A signed link (`/l/<purpose>/<token>`), a join link and a calendar feed (`/calendar/<token>.ics`) carry their
credential in the URL path, and a search carries a patient's name in the query string. `scrub` rewrites any
text so that each such path keeps its shape with the secret replaced by `…` (`/l/cancel/…`,
`/calendar/….ics`) and loses its query string. `MaskSecrets` applies it to log records; `install` puts it on
werkzeug's access log (development), gunicorn's access and error logs (production; see config/gunicorn.py)
and the app's own loggers. Which paths hold a secret is read from the app's URL map: every route argument
named `token` (or ending in `_token`), so a new route such as `/reset/<token>` is masked without a list to
keep up to date.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, MutableMapping

MASK = "…"
_ARG = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
_SEGMENT = r"[^/?#\s\"'<>]+"  # one path segment as it appears in a log line
# "GET /path?query HTTP/1.1" (werkzeug decodes %20 into a space, so the query may contain spaces).
_REQUEST_LINE = re.compile(r"([A-Z]{3,7} /[^?\s\"]*)\?[^\"\n]*?( HTTP/\d(?:\.\d)?)")
_URL_QUERY = re.compile(r"(/[^?\s\"'<>]*)\?[^\s\"'<>]*")
# gunicorn access-log atoms that are the query string itself, or credentials an operator's format might name.
_BLANKED = frozenset(
    {"q", "{query_string}e", "{authorization}i", "{cookie}i", "{http_authorization}e", "{http_cookie}e"}
)
_patterns: dict[str, re.Pattern] = {}


def _is_secret(argument: str) -> bool:
    return argument == "token" or argument.endswith("_token")


def _pattern(rule: str) -> re.Pattern | None:
    """A regex for `rule` (werkzeug syntax) whose named groups `sN` are its secret arguments; None if it has none."""
    parts, last, secrets = [], 0, 0
    for m in _ARG.finditer(rule):
        parts.append(re.escape(rule[last : m.start()]))
        if _is_secret(m.group(1)):
            parts.append(f"(?P<s{secrets}>{_SEGMENT})")
            secrets += 1
        else:
            parts.append(_SEGMENT)
        last = m.end()
    parts.append(re.escape(rule[last:]))
    return re.compile("".join(parts)) if secrets else None


def register_rules(rules: Iterable[str]) -> None:
    """Mask the secret arguments of these URL rules from now on (called with the app's URL map)."""
    for rule in rules:
        if rule not in _patterns and (pattern := _pattern(rule)) is not None:
            _patterns[rule] = pattern


def _masked(m: re.Match) -> str:
    text, start = m.group(0), m.start()
    for name in sorted((g for g in m.re.groupindex if m.group(g) is not None), key=m.start, reverse=True):
        text = text[: m.start(name) - start] + MASK + text[m.end(name) - start :]
    return text


def scrub(text: str) -> str:
    """`text` with query strings dropped and the secret in each token-bearing path replaced by `…`."""
    if "/" not in text:
        return text
    text = _URL_QUERY.sub(r"\1", _REQUEST_LINE.sub(r"\1\2", text))
    for pattern in list(_patterns.values()):
        text = pattern.sub(_masked, text)
    return text


def _scrub_value(value):
    return scrub(value) if isinstance(value, str) else value


def _scrub_atoms(atoms: MutableMapping) -> None:
    """gunicorn's access-log atoms, in place (its dict class answers '-' for atoms it lacks): any format is safe."""
    for key, value in list(atoms.items()):
        if isinstance(value, str):
            dict.__setitem__(atoms, key, "-" if key in _BLANKED else scrub(value))


class MaskSecrets(logging.Filter):
    """Scrubs each record's message, arguments, traceback and stack; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (once, however many loggers and handlers carry this filter)."""
        if getattr(record, "_televisit_masked", False):
            return True
        record._televisit_masked = True
        if isinstance(record.args, MutableMapping):
            _scrub_atoms(record.args)
            record.msg = _scrub_value(record.msg)
        else:
            # The final message, formatted once: an argument can no longer bring a secret back. A malformed
            # call (wrong arguments for its format) is left as it is, for the handler's own error report.
            with contextlib.suppress(TypeError, ValueError):
                record.msg, record.args = scrub(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = _scrub_value(record.exc_text)
        record.stack_info = _scrub_value(record.stack_info)
        return True


FILTER = MaskSecrets()
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "televisit", "jobs")


def _add(target) -> None:
    if not any(isinstance(f, MaskSecrets) for f in target.filters):
        target.addFilter(FILTER)


def install(extra_handlers: Iterable[logging.Handler] = ()) -> None:
    """Put the filter on the access logs, on every televisit/jobs logger, and on the given and root handlers.

    A logger's filter sees only records logged on that logger, not those propagated from its children, so
    each existing `televisit.*` logger gets it too, and so do the handlers that write the app's records
    (Flask's default handler, the root handlers) for loggers created later.
    """
    manager = logging.Logger.manager
    names = [n for n in list(manager.loggerDict) if n.startswith(("televisit.", "jobs."))]
    for name in (*LOGGERS, *names):
        _add(logging.getLogger(name))
    for handler in (*extra_handlers, *logging.getLogger().handlers):
        _add(handler)
