"""The waiting room over Socket.IO (namespace `/waiting-room`, docs/waiting-room.md): thin handlers.

Each handler parses its payload, calls one use case, commits, then joins the socket to its rooms and
emits what the use case returned, and acks. A refusal or a bad payload is an error ack
(`{"ok": false, "error": {"code", "message"}}`); nothing a client sends raises out of a handler.
The only per-process state is who each socket is (sid -> Caller) and its request id (taken from the
connecting request's `X-Request-ID`, or new), which every line logged while one of its events runs carries;
everything else lives in the database.
"""

from __future__ import annotations

import logging
from datetime import date

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, join_room  # Socket.IO's, not the builtin
from sqlalchemy.exc import OperationalError

from televisit import clock, logs, metrics
from televisit.adapters.socket_emitter import NAMESPACE, web_emitter
from televisit.domain.errors import DomainError, Invalid, SessionExpired, Unauthorized
from televisit.domain.timezones import parse_date
from televisit.extensions import db
from televisit.services.board import video as board_video
from televisit.services.waiting_room import callers as access
from televisit.services.waiting_room import line as room
from televisit.services.waiting_room.callers import MAX_ID, Caller
from televisit.services.waiting_room.state import Outcome
from televisit.web import audit
from televisit.web import sessions as page_sessions
from televisit.web.heartbeat import Heartbeat
from televisit.web.socket_guard import RESERVED_EVENTS, ChatThrottle, sent_by_client

log = logging.getLogger(__name__)
INTERNAL = {"code": "internal", "message": "Something went wrong on our side; please try again."}
UNAVAILABLE = {"code": "unavailable", "message": "The service is briefly unavailable; please retry."}


def error_ack(exc: DomainError) -> dict:
    """The ack for a refused event."""
    error = {"code": exc.code, "message": exc.message}
    if exc.fields:
        error["fields"] = exc.fields
    return {"ok": False, "error": error}


class Payload:
    """An event's data: a JSON object (or nothing), read field by field."""

    def __init__(self, data: object):
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise Invalid({"payload": "send a JSON object"})
        self.data = data

    def get(self, key: str) -> object:
        """A field as sent (the use case validates it)."""
        return self.data.get(key)

    def board_session(self) -> tuple[int, date]:
        """The required `board_id` (a positive integer) and `date` (YYYY-MM-DD) of a board session."""
        board_id, raw = self.data.get("board_id"), self.data.get("date")
        fields = {}
        if not isinstance(board_id, int) or isinstance(board_id, bool) or not 1 <= board_id <= MAX_ID:
            fields["board_id"] = "required: the board's id"
        try:
            day = parse_date(raw)
        except ValueError:
            fields["date"] = "required: the session's date, YYYY-MM-DD"
        if fields:
            raise Invalid(fields)
        return board_id, day

    def appointment_id(self) -> int:
        """The required `appointment_id`: a positive integer."""
        value = self.data.get("appointment_id")
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
            raise Invalid({"appointment_id": "required: the appointment's id"})
        return value


def _authenticate(auth: object) -> Caller:
    auth = auth if isinstance(auth, dict) else {}
    if "token" in auth:
        return access.from_token(db.session, auth["token"], now=clock.now())
    if "join" in auth:
        return access.from_join(db.session, current_app.config["SECRET_KEY"], auth["join"], now=clock.now())
    if current_user.is_authenticated:  # only while its page session lasts (televisit/web/sessions.py)
        return access.from_user(current_user, session.get(page_sessions.KEY))
    if reason := page_sessions.expired_reason():
        raise SessionExpired(page_sessions.ended_message(reason))
    raise Unauthorized("Sign in, or open the link in your reminder.")


def _abort() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the session is removed next anyway
        log.warning("rollback failed", exc_info=True)


def _public_url() -> str:
    return current_app.config["PUBLIC_URL"]


class WaitingRoomNamespace(Namespace):
    """Handlers for `/waiting-room`; `callers` maps this process's sockets to who they are."""

    def __init__(self, namespace: str = NAMESPACE, *, message_limit: str = "5 per 10 seconds"):
        super().__init__(namespace)
        self.callers: dict[str, Caller] = {}
        self.request_ids: dict[str, str] = {}
        self.heartbeat = Heartbeat()
        self.chat = ChatThrottle(message_limit)

    def trigger_event(self, event, *args):
        """Run the event with its socket's request id on every log line."""
        sid = args[0] if args else None
        with logs.bound(self._request_id(event, sid)):
            try:
                return self._dispatch(event, *args)
            finally:
                if event == "disconnect":
                    self.request_ids.pop(sid, None)

    def _request_id(self, event: str, sid) -> str | None:
        if not isinstance(sid, str):
            return None
        if sid not in self.request_ids and event == "connect":
            environ = self.server.get_environ(sid, namespace=self.namespace) or {}
            self.request_ids[sid] = logs.accepted_id(environ.get("HTTP_X_REQUEST_ID"))
        return self.request_ids.get(sid)

    def _dispatch(self, event, *args):
        """Refuse a client's event named like Socket.IO's own (connect, disconnect, ...) and unknown events."""
        if event in RESERVED_EVENTS and sent_by_client(self.server, event, args[0] if args else None, self.namespace):
            log.info("waiting-room: ignored a client event with the reserved name %r", event)
            return error_ack(Invalid({"event": f"{event!r} is a reserved event name"}))
        if event not in ("connect", "disconnect") and not hasattr(self, f"on_{event or ''}"):
            return error_ack(Invalid({"event": f"unknown event {event!r}"}))
        return super().trigger_event(event, *args)

    # --- connection -----------------------------------------------------------------------------------

    def on_connect(self, auth=None):
        """Accept a bearer token, a join link or the session cookie; refuse anything else."""
        try:
            caller = _authenticate(auth)
            self.heartbeat.start(db.session)
        except DomainError as exc:
            raise ConnectionRefusedError(exc.message, {"code": exc.code}) from None
        except Exception:
            log.exception("waiting-room connect failed")
            raise ConnectionRefusedError(UNAVAILABLE["message"], {"code": UNAVAILABLE["code"]}) from None
        finally:
            _abort()
            db.session.remove()
        self.callers[request.sid] = caller
        metrics.socket_count(+1)
        log.info("waiting-room: a %s connected", caller.actor.role or "link holder")

    def on_disconnect(self, reason=None):
        """Forget the socket here and in the database (the clinic sees the patient drop)."""
        sid = request.sid
        if self.callers.pop(sid, None) is not None:
            metrics.socket_count(-1)
            log.info("waiting-room: a socket disconnected")
        self._forget(sid)

    def _signed_out(self, sid: str, reason: str) -> dict:
        """The socket's page session ended: refuse this event, forget the socket, then disconnect it."""
        if self.callers.pop(sid, None) is not None:
            metrics.socket_count(-1)
        self._forget(sid)
        page_sessions.disconnect_soon(sid, NAMESPACE)  # once this refusal (the ack) is on its way
        return error_ack(SessionExpired(page_sessions.ended_message(reason)))

    def _forget(self, sid: str) -> None:
        self._run(sid, lambda: Outcome({}, room.disconnected(db.session, sid, now=clock.now())))

    # --- the runner -----------------------------------------------------------------------------------

    def _handle(self, data, use_case) -> dict:
        """Answer the event, then record it in the audit trail."""
        ack = self._answer(data, use_case)
        audit.socket_event(request.event["message"], data, self.callers.get(request.sid), ack)
        return ack

    def _chat(self, data, use_case) -> dict:
        """A chat message: refused unanswered by the use case when the socket is over its message limit."""
        if request.sid in self.callers and not self.chat.allow(request.sid):
            return self.chat.refusal(request.sid)  # not audited: a flood must cost no database writes
        return self._handle(data, use_case)

    def _answer(self, data, use_case) -> dict:
        """Parse, call one use case (payload, caller, sid), commit, then join rooms and emit; ack."""
        sid = request.sid
        caller = self.callers.get(sid)
        if caller is None:
            return error_ack(Unauthorized("This connection is not signed in."))
        if caller.session_key is not None and (reason := page_sessions.socket_session_over(caller)):
            return self._signed_out(sid, reason)
        ack = self._run(sid, lambda: use_case(Payload(data), caller, sid))
        if sid not in self.callers:  # the socket left while we worked: undo the presence just recorded
            self._forget(sid)
        return ack

    def _run(self, sid: str, call) -> dict:
        try:
            outcome = call()
            db.session.commit()
        except DomainError as exc:
            _abort()
            return error_ack(exc)
        except OperationalError:
            _abort()
            log.warning("waiting-room event failed: database unavailable", exc_info=True)
            return {"ok": False, "error": UNAVAILABLE}
        except Exception:
            _abort()
            log.exception("waiting-room event failed")
            return {"ok": False, "error": INTERNAL}
        finally:
            db.session.remove()  # no transaction left open (on SQLite it would hold the write lock)
        self._deliver(sid, outcome)
        for build in outcome.later:
            self._send_later(build)
        return outcome.ack

    def _deliver(self, sid: str, outcome: Outcome) -> None:
        try:
            for name in outcome.rooms:
                join_room(name, sid=sid, namespace=NAMESPACE)
            web_emitter().emit_all(outcome.emits)
        except Exception:  # committed already: the ack stands; clients resync on their next event
            log.exception("waiting-room emit failed")

    @staticmethod
    def _send_later(build) -> None:
        """Read and send the slower follow-up events of a committed change (its own short transaction)."""
        try:
            emits = build(db.session)
            db.session.rollback()  # read only: end the transaction before the sends
            web_emitter().emit_all(emits)
        except Exception:  # committed already: the ack stands; clients resync on their next event
            _abort()
            log.exception("waiting-room follow-up events failed")
        finally:
            db.session.remove()

    # --- patient --------------------------------------------------------------------------------------

    def on_precheck(self, data=None, *_):
        """Patient: where they are, new red-flag symptoms since booking, video consent; ack says whether the
        clinician is licensed there (or `urgent`: no check-in, the urgent page)."""
        return self._handle(
            data,
            lambda p, caller, sid: room.precheck(
                db.session,
                caller,
                p.appointment_id(),
                region=p.get("region"),
                consent=p.get("consent"),
                sid=sid,
                now=clock.now(),
                new_symptoms=p.get("new_symptoms"),
                alert_to=current_app.config.get("URGENT_ALERT_EMAIL"),
            ),
        )

    def on_check_in(self, data=None, *_):
        """Patient: check in (again after reconnecting: same place); ack carries the queue."""
        return self._handle(
            data,
            lambda p, caller, sid: room.check_in(
                db.session,
                caller,
                p.appointment_id(),
                sid=sid,
                now=clock.now(),
                public_url=_public_url(),
                region=p.get("region"),
                consent=p.get("consent"),
            ),
        )

    def on_message(self, data=None, *_):
        """Patient: a message to the clinic (throttled per socket)."""
        return self._chat(
            data,
            lambda p, caller, sid: room.patient_message(
                db.session, caller, p.appointment_id(), p.get("text"), now=clock.now()
            ),
        )

    # --- clinician ------------------------------------------------------------------------------------

    def on_join_clinic(self, data=None, *_):
        """Clinician (or staff, naming `clinician_id`): subscribe to the waiting list."""
        return self._handle(
            data,
            lambda p, caller, sid: room.join_clinic(
                db.session, caller, p.get("clinician_id"), sid=sid, now=clock.now()
            ),
        )

    def on_admit(self, data=None, *_):
        """Clinician: let a checked-in patient into the visit."""
        return self._handle(
            data,
            lambda p, caller, sid: room.admit(
                db.session, caller, p.appointment_id(), now=clock.now(), public_url=_public_url()
            ),
        )

    def on_running_late(self, data=None, *_):
        """Clinician: running late by `minutes` (0 clears it)."""
        return self._handle(
            data, lambda p, caller, sid: room.running_late(db.session, caller, p.get("minutes"), now=clock.now())
        )

    def on_no_show(self, data=None, *_):
        """Clinician: the patient did not come."""
        return self._handle(
            data, lambda p, caller, sid: room.no_show(db.session, caller, p.appointment_id(), now=clock.now())
        )

    def on_send_message(self, data=None, *_):
        """Clinician: a message to a patient (throttled per socket)."""
        return self._chat(
            data,
            lambda p, caller, sid: room.send_message(
                db.session, caller, p.appointment_id(), p.get("text"), now=clock.now()
            ),
        )

    def on_end_visit(self, data=None, *_):
        """A clinician of the visit: end it for everyone (completed)."""
        return self._handle(
            data, lambda p, caller, sid: room.end_visit(db.session, caller, p.appointment_id(), now=clock.now())
        )

    # --- the visit ------------------------------------------------------------------------------------

    def on_join_visit(self, data=None, *_):
        """The patient or a clinician of an open visit: join `visit:<id>`; ack carries the role and ICE servers."""
        return self._handle(
            data,
            lambda p, caller, sid: room.join_visit(
                db.session,
                caller,
                p.appointment_id(),
                sid=sid,
                now=clock.now(),
                ice_servers=current_app.config.get("ICE_SERVERS") or [],
            ),
        )

    def on_signal(self, data=None, *_):
        """A participant: relay WebRTC signalling to the participant named by `to` (else to all the others)."""
        return self._handle(
            data,
            lambda p, caller, sid: room.relay_signal(
                db.session, caller, p.appointment_id(), p.get("kind"), p.get("data"), sid=sid, to=p.get("to")
            ),
        )

    # --- the tumor board's video room (services/board/video.py) ------------------------------------------

    def on_join_board(self, data=None, *_):
        """A member, presenter or admin: join a board session's video room; the ack names the participants."""
        ice = current_app.config.get("ICE_SERVERS") or []
        return self._handle(
            data,
            lambda p, caller, sid: board_video.join(
                db.session, caller, *p.board_session(), sid=sid, now=clock.now(), ice_servers=ice
            ),
        )

    def on_board_signal(self, data=None, *_):
        """Someone in a board session's video room: relay WebRTC signalling (to `to`, else to all the others)."""
        return self._handle(
            data,
            lambda p, caller, sid: board_video.relay(
                db.session, caller, *p.board_session(), p.get("kind"), p.get("data"), sid=sid, to=p.get("to")
            ),
        )


def publish(outcome: Outcome) -> None:
    """Send the events of a change a page committed (it has no socket of its own): the same rooms hear it as when
    the change comes over the socket (a clinician's no-show or end visit from the schedule pages). The request's
    session stays open for the page that follows; the follow-up reads end their transaction."""
    try:
        web_emitter().emit_all(outcome.emits)
        for build in outcome.later:
            emits = build(db.session)
            db.session.rollback()  # read only: end the transaction before the sends
            web_emitter().emit_all(emits)
    except Exception:  # committed already: clients resync on their next event
        db.session.rollback()
        log.exception("waiting-room events of a page's change failed")


def register(socketio, *, message_limit: str) -> WaitingRoomNamespace:
    """Attach the namespace to the app's Socket.IO server; chat is limited to `message_limit` per socket."""
    namespace = WaitingRoomNamespace(message_limit=message_limit)
    socketio.on_namespace(namespace)
    return namespace
