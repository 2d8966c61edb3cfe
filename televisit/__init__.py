"""Televisit: visit scheduling for a multi-site spine tumor program."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import BaseConfig, load_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: BaseConfig | None = None) -> Flask:
    """Build the Flask app: wiring only, in small register_* steps."""
    cfg = config or load_config()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(cfg)
    app.json.sort_keys = False  # keep documented field order
    register_clock(app)
    register_observability(app)
    register_extensions(app)
    register_blueprints(app)
    register_realtime(app)
    register_errors(app)
    register_security(app)
    register_cli(app)
    register_proxy(app)
    return app


def register_clock(app: Flask) -> None:
    """Start the app clock at TELEVISIT_NOW when set (demos, tests)."""
    from televisit import clock
    from televisit.domain.timezones import parse_instant

    if app.config.get("TELEVISIT_NOW"):
        clock.start_at(parse_instant(app.config["TELEVISIT_NOW"]))


def register_observability(app: Flask) -> None:
    """JSON log lines when asked; each request's id, latency metric and log line (hooks before any other)."""
    from televisit import logs
    from televisit.web import observability

    logs.configure(app.config.get("LOG_FORMAT", "text"))
    observability.register(app)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    from sqlalchemy.orm import configure_mappers

    from televisit import db_events  # noqa: F401  (SQLite pragmas and serialized writes)
    from televisit.adapters.socket_emitter import queue_options
    from televisit.extensions import csrf, db, limiter, login_manager, migrate, socketio

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # Database errors must not carry patient data into logs: SQL parameters stay out of exception messages.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **_pool_options(app.config),
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        "hide_parameters": True,
    }
    db.init_app(app)
    # Mappers configured now, not by a process's first ORM query: the booking's lean insert builds a loaded
    # Appointment by hand (services/booking/rows.py), which fails in a fresh worker whose first request books.
    configure_mappers()
    _ping_idle_connections(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    socketio.init_app(
        app,
        **queue_options(app.config.get("REDIS_URL"), app.config.get("SOCKETIO_CHANNEL", "televisit")),
        async_mode=socketio_async_mode(app.config.get("SOCKETIO_ASYNC_MODE", "threading")),
        cors_allowed_origins=app.config.get("PUBLIC_URL"),
    )

    @login_manager.user_loader
    def load_user(session_id: str):
        from televisit.web.sessions import load_user as session_user

        return session_user(session_id)  # only while its server-side session lasts (idle timeout, lifetime)


def gevent_patched() -> bool:
    """Whether gevent has monkey-patched this process's stdlib (gunicorn's gevent worker does, before the app)."""
    import sys

    monkey = sys.modules.get("gevent.monkey")  # never imports gevent into a process that does not use it
    return bool(monkey and monkey.is_module_patched("socket") and monkey.is_module_patched("threading"))


def socketio_async_mode(wanted: str) -> str:
    """Flask-SocketIO's async mode, `wanted` (SOCKETIO_ASYNC_MODE), refused when it does not fit this process.

    gevent without the monkey-patching would block the whole process on every socket read (python-socketio refuses
    only its Redis queue then); threading inside a patched process runs every "thread" as a greenlet of one loop
    while Flask-SocketIO believes otherwise. Either is a misconfiguration: config/gunicorn_socket.py sets gevent
    together with gunicorn's gevent worker, and everything else runs threading.
    """
    from config import ConfigError

    patched = gevent_patched()
    if wanted == "gevent" and not patched:
        raise ConfigError(
            "TELEVISIT_SOCKETIO_ASYNC=gevent needs gevent's monkey-patching (gunicorn -c config/gunicorn_socket.py, "
            "whose gevent worker patches before loading the app); this process is not patched"
        )
    if wanted != "gevent" and patched:
        raise ConfigError(
            f"this process is monkey-patched by gevent but TELEVISIT_SOCKETIO_ASYNC is {wanted!r}: "
            "set TELEVISIT_SOCKETIO_ASYNC=gevent (config/gunicorn_socket.py does) or run a threaded worker"
        )
    return wanted


def _ping_idle_connections(app: Flask) -> None:
    """A server database's pooled connections are pinged after sitting idle, not on every checkout."""
    from televisit.db_events import ping_when_idle
    from televisit.extensions import db

    if _is_sqlite(app.config) or app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        return
    with app.app_context():
        ping_when_idle(db.engine, app.config.get("DB_PING_IDLE_SECONDS", 10))


def _is_sqlite(config) -> bool:
    return str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite")


def _pool_options(config) -> dict:
    """Pool size for a server database (PostgreSQL); SQLite keeps SQLAlchemy's own choice."""
    if _is_sqlite(config):
        return {}
    return {
        "pool_size": config.get("DB_POOL_SIZE", 10),
        "max_overflow": config.get("DB_POOL_OVERFLOW", 30),
        "pool_timeout": config.get("DB_POOL_TIMEOUT", 30),  # a burst past the pool waits this long for a connection
    }


def register_blueprints(app: Flask) -> None:
    """Pages and the JSON API."""
    from televisit.extensions import csrf
    from televisit.web import IdConverter
    from televisit.web.account import bp as account_bp
    from televisit.web.admin import bp as admin_bp
    from televisit.web.api import bp as api_bp
    from televisit.web.board import bp as board_bp
    from televisit.web.clinic.feed import bp as feed_bp
    from televisit.web.clinic.schedule import bp as clinician_bp
    from televisit.web.desk import bp as scheduler_bp
    from televisit.web.dev_outbox import bp as dev_bp
    from televisit.web.fhir import bp as fhir_bp
    from televisit.web.operations import bp as ops_bp
    from televisit.web.pages import bp as pages_bp
    from televisit.web.patient.account import bp as patient_bp
    from televisit.web.patient.care import bp as care_bp
    from televisit.web.patient.days import bp as days_bp
    from televisit.web.patient.links import bp as links_bp
    from televisit.web.patient.plan import bp as plan_bp
    from televisit.web.patient.visits import bp as visits_bp
    from televisit.web.vendor import register as register_vendor
    from televisit.web.waiting_pages import bp as waiting_bp
    from televisit.web.webhooks import bp as webhooks_bp

    app.url_map.converters["int"] = IdConverter  # before any rule is added
    csrf.exempt(api_bp)  # bearer clients need no token; cookie-signed writes are checked in web/api/cross_site.py
    app.register_blueprint(api_bp)
    csrf.exempt(fhir_bp)  # bearer tokens only: the facade reads no session cookie
    app.register_blueprint(fhir_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(ops_bp)  # /readyz, /metrics
    app.register_blueprint(account_bp)  # confirm the address, forgot password (every role)
    csrf.exempt(webhooks_bp)  # Twilio signs its requests instead
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(links_bp)
    app.register_blueprint(feed_bp)
    app.register_blueprint(waiting_bp)
    for patient_pages in (patient_bp, care_bp, visits_bp, days_bp, plan_bp):  # sign-up, profile, find care, visits
        app.register_blueprint(patient_pages)
    for desk_pages in (scheduler_bp, admin_bp, clinician_bp, board_bp):  # schedulers, admins, clinicians, the board
        app.register_blueprint(desk_pages)
    register_vendor(app)
    if app.config.get("ENV_NAME") != "production":
        app.register_blueprint(dev_bp)


def register_realtime(app: Flask) -> None:
    """The waiting room's Socket.IO namespace (/waiting-room) on this app's server."""
    from televisit import metrics
    from televisit.extensions import socketio
    from televisit.web.realtime import register

    metrics.socketio_async_mode(socketio.server.async_mode)
    if socketio.server.async_mode == "gevent":  # outside Flask-SocketIO's middleware (init_app put it on wsgi_app)
        from televisit.web.gevent_sockets import serialize_websocket_writes

        app.wsgi_app = serialize_websocket_writes(app.wsgi_app)
    app.extensions["televisit.waiting_room"] = register(socketio, message_limit=app.config["WAITING_MESSAGE_LIMIT"])


def register_errors(app: Flask) -> None:
    """JSON errors under /api, friendly pages elsewhere."""
    from televisit.web.errors import register

    register(app)


def register_security(app: Flask) -> None:
    """Security headers on every response, sign-in throttling answers, the audit trail's request hooks."""
    from televisit.web import audit, caching, security, sessions

    security.register(app)
    sessions.register(app)  # a session past its idle timeout or lifetime ends before any view runs
    caching.register(app)  # Cache-Control: no-store where patient data may be
    audit.register(app)  # after the header hook: after_request hooks run last-registered first


def register_proxy(app: Flask) -> None:
    """Behind TELEVISIT_PROXY_HOPS proxies (nginx: 1), the client's address and scheme are the ones they add to
    X-Forwarded-For and X-Forwarded-Proto (sign-in throttling, the audit trail); last, so it wraps Socket.IO's too."""
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_cli(app: Flask) -> None:
    """flask db/seed-demo/users/serve/jobs commands."""
    from televisit.cli import register

    register(app)
