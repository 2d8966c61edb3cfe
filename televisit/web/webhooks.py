"""Twilio webhooks: inbound SMS replies and delivery status, both signature-checked, each acted on once
(a replay with the same MessageSid is answered and ignored: services/messaging/receipts.py)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from televisit import clock
from televisit.domain.validation import is_e164
from televisit.extensions import db
from televisit.services.messaging import reconcile, replies

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")


def _signed_url() -> str:
    """The URL Twilio signed: our public URL plus the path and query it called."""
    query = request.query_string.decode()
    return current_app.config["PUBLIC_URL"] + request.path + (f"?{query}" if query else "")


def require_signature() -> None:
    """403 unless X-Twilio-Signature matches TELEVISIT_PUBLIC_URL + path with our auth token."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        abort(403, "missing or unverifiable Twilio signature")
    if not RequestValidator(token).validate(_signed_url(), request.form.to_dict(), signature):
        abort(403, "invalid Twilio signature")


def twiml(text: str | None) -> Response:
    """A TwiML answer with one message (or none)."""
    inner = f"<Message>{escape(text)}</Message>" if text else ""
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>', mimetype="text/xml")


def _number(raw: str, max_digits: int) -> int | None:
    """A small ASCII whole number, else None ("²".isdigit() is True, but int("²") raises)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= max_digits else None


def _plain(raw: str, max_len: int) -> str:
    """Provider text stored as-is, bounded and without NUL (PostgreSQL refuses it in text)."""
    return raw.replace("\x00", "")[:max_len]


@bp.post("/sms")
def inbound_sms():
    require_signature()
    cfg = current_app.config
    phone = request.form.get("From", "")
    if not is_e164(phone):  # not a phone number (Twilio only sends E.164 here): nothing to look up or record
        return twiml(replies.help_text(cfg["ORG_NAME"]))
    answer = replies.handle_once(
        db.session,
        _plain(request.form.get("MessageSid", ""), 64),
        phone,
        request.form.get("Body", ""),
        now=clock.now(),
        org=cfg["ORG_NAME"],
        public_url=cfg["PUBLIC_URL"],
        secret=cfg["SECRET_KEY"],
    )
    return twiml(answer)  # a replay: an empty answer (a reply may hold a link meant for the phone, not the caller)


@bp.post("/status")
def delivery_status():
    require_signature()
    msg_id = _number(request.args.get("o", ""), 11)
    if msg_id is not None:
        reconcile.status_callback_once(
            db.session,
            msg_id,
            _plain(request.form.get("MessageSid", ""), 64),
            _plain(request.form.get("MessageStatus", ""), 24),
            now=clock.now(),
            error_code=_number(request.form.get("ErrorCode", ""), 7),
        )
    return Response(status=204)
