"""SMART system scopes (SMART App Launch, "Scopes and Launch Context"): `system/<type>.<permissions>`.

Permissions are SMART v1 words (`read`, `write`, `*`) or SMART v2 letters, a subsequence of `cruds` (create,
read, update, delete, search), e.g. `system/Slot.rs` or `system/Appointment.cud`. A v1 word stands for its
letters: `read` = `rs`, `write` = `cud`. A scope is read as the set of (resource type, letter) pairs it allows,
so a token request is granted exactly the part of what it asks that the client's registration allows.
Granular v2 scopes (`?param=value`) are not offered: they parse as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

RESOURCE_TYPES = (
    "Slot",
    "Schedule",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "HealthcareService",
    "Appointment",
    "Patient",
)
LETTERS = "cruds"
V1 = {"read": "rs", "write": "cud", "*": "cruds"}
V1_WORDS = {frozenset(letters): word for word, letters in V1.items()}
READ_ONLY = frozenset("rs")
# What an admin picks from when registering a client (SMART v2 forms of these are accepted too), and what
# /fhir/.well-known/smart-configuration lists: read and write of each type, and read of every type.
REGISTRABLE = (*(f"system/{t}.{p}" for t in RESOURCE_TYPES for p in ("read", "write")), "system/*.read")


@dataclass(frozen=True)
class Scope:
    """One parsed scope: its text as given, the resource type (or `*`), and its permission letters."""

    text: str
    kind: str
    letters: frozenset[str]
    v1: bool

    def pairs(self) -> frozenset[tuple[str, str]]:
        """The (resource type, letter) pairs this scope allows (`*`: every type we serve)."""
        kinds = RESOURCE_TYPES if self.kind == "*" else (self.kind,)
        return frozenset((kind, letter) for kind in kinds for letter in self.letters)


def parse(text: str) -> Scope | None:
    """The system scope `text` names, or None when it is not one of a resource type we serve."""
    context, _, rest = text.partition("/")
    kind, dot, perm = rest.partition(".")
    if context != "system" or not dot or kind not in (*RESOURCE_TYPES, "*"):
        return None
    if perm in V1:
        return Scope(text, kind, frozenset(V1[perm]), True)
    if perm and _in_order(perm):
        return Scope(text, kind, frozenset(perm), False)
    return None


def _in_order(perm: str) -> bool:
    """SMART v2 letters: each of `cruds` at most once, in that order."""
    positions = [LETTERS.find(letter) for letter in perm]
    return min(positions) >= 0 and positions == sorted(set(positions))


def registrable(scope: Scope) -> bool:
    """An admin may register any read or write of one type, but only reads across every type (`system/*`)."""
    return scope.kind != "*" or scope.letters <= READ_ONLY


def parse_all(texts: str) -> list[Scope]:
    """The scopes of a space-separated list that parse (unknown ones are left out)."""
    return [s for s in map(parse, texts.split()) if s is not None]


def grant(requested: str, registered: str) -> list[str]:
    """What a token request for `requested` is granted of the `registered` scopes (both space-separated):
    each asked scope whole when the registration allows all of it, else the part it allows, one scope per
    type (in the asked scope's syntax where a v1 word says it). Unknown scopes get nothing."""
    allowed = frozenset().union(*(s.pairs() for s in parse_all(registered)))
    granted: list[str] = []
    for scope in parse_all(requested):
        common = scope.pairs() & allowed
        granted.extend([scope.text] if common == scope.pairs() else _written(common, scope.v1))
    return list(dict.fromkeys(granted))


def _written(pairs: frozenset[tuple[str, str]], v1: bool) -> list[str]:
    out = []
    for kind in RESOURCE_TYPES:
        letters = frozenset(letter for k, letter in pairs if k == kind)
        if letters:
            word = V1_WORDS.get(letters) if v1 else None
            out.append(f"system/{kind}.{word or ''.join(c for c in LETTERS if c in letters)}")
    return out
