"""Account emails and their links: confirm the address, "you already have an account", set a new password.

They are about the account, never about care: no visit, clinician or clinical word, and no name (a sign-up's
name is whatever a stranger typed; it must not reach someone else's inbox). Each outbox row names its
`account_tokens` row; the link is that row's id signed with the app secret (one salt per purpose), so the
jobs process renders the same link on every attempt and only the row decides whether it still works.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import Session

from televisit.adapters.base import OutgoingEmail
from televisit.models import AccountToken, OutboxMessage, User
from televisit.services import outbox as ob
from televisit.services.messaging.messages import Settings, message_id_for, render_email

CONFIRM, RESET = "confirm", "reset"
RULE_PREFIX = "account-"
KINDS = ("confirm", "exists", "reset")  # rule account-<kind>; exists and reset carry a reset link
PAGE_FOR = {CONFIRM: "confirm", RESET: "reset"}


def is_account(msg: OutboxMessage) -> bool:
    """True for an account email (rule account-<kind>)."""
    return msg.rule.startswith(RULE_PREFIX)


def _serializer(secret: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"televisit-account:{purpose}")


def sign(secret: str, token: AccountToken) -> str:
    """The link's token: the row id and its user, signed for the row's purpose."""
    return _serializer(secret, token.purpose).dumps({"t": token.id, "u": token.user_id})


def read(secret: str, purpose: str, token: object) -> tuple[int, int] | None:
    """(row id, user id) of a well-signed token for `purpose`, or None."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    try:
        data = _serializer(secret, purpose).loads(token)
    except BadData:  # a bad signature, or (with the secret) a payload that does not decode
        return None
    ids = (data.get("t"), data.get("u")) if isinstance(data, dict) else (None, None)
    ok = all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in ids)
    return ids if ok else None


def url(public_url: str, secret: str, token: AccountToken) -> str:
    """The absolute link (the token travels in the query string, which no access log keeps)."""
    return f"{public_url}/account/{PAGE_FOR[token.purpose]}?t={sign(secret, token)}"


def plan(session: Session, user: User, token: AccountToken, kind: str, *, now: datetime) -> None:
    """Put the email of `kind` for `token` in the outbox (sent by the jobs process, once)."""
    ob.enqueue(
        session,
        key=f"account{token.id}:{kind}:email",
        rule=f"{RULE_PREFIX}{kind}",
        channel="email",
        due=now,
        now=now,
        patient_id=user.patient_id,
        payload=json.dumps({"token_id": token.id}),
        fresh=True,
    )


def _token(session: Session, msg: OutboxMessage) -> AccountToken | None:
    token_id = json.loads(msg.payload or "{}").get("token_id")
    return session.get(AccountToken, token_id) if isinstance(token_id, int) else None


def wanted(session: Session, msg: OutboxMessage) -> bool:
    """Still worth sending: its link is unused and has not expired by the time the row was claimed."""
    token = _token(session, msg)
    at = msg.claimed_at or msg.due_at
    return token is not None and token.used_at is None and token.expires_at > at


def _lasts(delta: timedelta) -> str:
    hours = round(delta.total_seconds() / 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def build(session: Session, s: Settings, msg: OutboxMessage) -> OutgoingEmail | None:
    """The email for an account row, or None when its token or user is gone."""
    token = _token(session, msg)
    user = session.get(User, token.user_id) if token else None
    if user is None:
        return None
    ctx = {
        "org": s.org_name,
        "link": url(s.public_url, s.secret, token),
        "lasts": _lasts(token.expires_at - token.created_at),
        "signin": f"{s.public_url}/login",
        "forgot": f"{s.public_url}/account/forgot",
    }
    subject, text, html = render_email(f"account_{msg.rule.removeprefix(RULE_PREFIX)}", ctx)
    return OutgoingEmail(user.email, subject, text, html, message_id_for(msg, s))
