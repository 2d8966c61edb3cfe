"""Settings classes. Every secret comes from the environment; `load_config` picks one."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path

import phonenumbers

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete for this environment."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _rate(name: str, default: str) -> str:
    from limits import parse_many

    raw = _env(name, default) or default
    try:
        parse_many(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a rate such as '5 per 10 seconds', not {raw!r}") from exc
    return raw


def _positive(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, not {value}")
    return value


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (_env(name, default) or default).lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


SOCKETIO_ASYNC_MODES = ("threading", "gevent")

# Demo urgent lines (US: a 555 number; UK: Ofcom's range for drama), used when neither variable is set.
DEMO_URGENT_PHONES = {"US": "+1 216 555 0199", "GB": "+44 20 7946 0999"}


def _urgent_phones(raw: str | None, *, demo: bool) -> dict[str, str]:
    """TELEVISIT_URGENT_PHONES: a JSON object from a country (`US`, `GB`) or region (`US-FL`) to a phone number
    (international form, or national form of the key's country). Unset: the demo lines, unless the older
    single TELEVISIT_URGENT_PHONE is set (then that one number, everywhere, as before)."""
    if raw is None:
        return dict(DEMO_URGENT_PHONES) if demo else {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ConfigError(f"TELEVISIT_URGENT_PHONES must be a JSON object such as {json.dumps(DEMO_URGENT_PHONES)}")
    return dict(_urgent_line(key, number) for key, number in value.items())


def _urgent_line(key: object, number: object) -> tuple[str, str]:
    """One entry of TELEVISIT_URGENT_PHONES, checked: (upper-case code, number)."""
    code = str(key).strip().upper()
    country = code.split("-", 1)[0]
    if not (len(country) == 2 and country.isascii() and country.isalpha() and len(code) <= 8):
        raise ConfigError(f"TELEVISIT_URGENT_PHONES: {key!r} is not a country (US, GB) or region (US-FL) code")
    try:
        ok = isinstance(number, str) and phonenumbers.is_possible_number(phonenumbers.parse(number, country))
    except phonenumbers.NumberParseException:
        ok = False
    if not ok:
        raise ConfigError(f"TELEVISIT_URGENT_PHONES: {number!r} (for {key}) is not a phone number")
    return code, number


def _alert_email(raw: str | None) -> str | None:
    """TELEVISIT_URGENT_ALERT_EMAIL: where the desk is told that an urgent case has opened (unset: no email)."""
    if raw is None:
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ConfigError(f"TELEVISIT_URGENT_ALERT_EMAIL: {raw!r} is not an email address ({exc})") from exc


DEMO_CARE_PHONE = "+1 216 555 0100"


def _care_phone(number: str) -> str:
    """TELEVISIT_CARE_TEAM_PHONE, in international form (+1 216 555 0100)."""
    try:
        ok = phonenumbers.is_possible_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        ok = False
    if not ok:
        raise ConfigError(f"TELEVISIT_CARE_TEAM_PHONE: {number!r} is not a phone number in international form")
    return number


def _json_list(raw: str | None, name: str) -> list:
    try:
        value = json.loads(raw or "[]")
    except ValueError as exc:
        raise ConfigError(f"{name} must be a JSON list") from exc
    if not isinstance(value, list):
        raise ConfigError(f"{name} must be a JSON list")
    return value


class BaseConfig:
    """Shared defaults, read from the environment at instantiation."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = _env("TELEVISIT_DATABASE_URL", f"sqlite:///{INSTANCE / 'televisit.db'}")
        self.REDIS_URL = _env("TELEVISIT_REDIS_URL")
        # Redis pub/sub channel of the Socket.IO message queue: deployments sharing one Redis need their own.
        self.SOCKETIO_CHANNEL = _env("TELEVISIT_SOCKETIO_CHANNEL", "televisit")
        # Flask-SocketIO's async mode: threading (dev server, tests, API workers) or gevent, which only the socket
        # processes use: config/gunicorn_socket.py sets it with gunicorn's gevent worker (the app refuses a mismatch:
        # gevent without a monkey-patched stdlib, or threading inside one: televisit/__init__.py).
        self.SOCKETIO_ASYNC_MODE = _choice("TELEVISIT_SOCKETIO_ASYNC", "threading", SOCKETIO_ASYNC_MODES)
        self.SECRET_KEY = _env("TELEVISIT_SECRET_KEY")
        self.PUBLIC_URL = (_env("TELEVISIT_PUBLIC_URL", "http://127.0.0.1:5000") or "").rstrip("/")
        self.TELEVISIT_NOW = _env("TELEVISIT_NOW")
        self.TWILIO_ACCOUNT_SID = _env("TWILIO_ACCOUNT_SID")
        self.TWILIO_AUTH_TOKEN = _env("TWILIO_AUTH_TOKEN")
        self.TWILIO_FROM_NUMBER = _env("TWILIO_FROM_NUMBER")
        self.TWILIO_MESSAGING_SERVICE_SID = _env("TWILIO_MESSAGING_SERVICE_SID")
        self.TWILIO_API_BASE_URL = _env("TWILIO_API_BASE_URL", "https://api.twilio.com")
        self.SMTP_HOST = _env("SMTP_HOST")
        self.SMTP_PORT = int(_env("SMTP_PORT", "25") or 25)
        self.SMTP_USERNAME = _env("SMTP_USERNAME")
        self.SMTP_PASSWORD = _env("SMTP_PASSWORD")
        self.SMTP_STARTTLS = (_env("SMTP_STARTTLS", "false") or "").lower() in ("1", "true", "yes")
        self.MAIL_FROM = _env("MAIL_FROM", "Televisit <no-reply@televisit.local>")
        self.ORG_NAME = _env("TELEVISIT_ORG_NAME", "Televisit Health")
        # The clinic's urgent lines, shown when an intake raises red flags: by the patient's country or region
        # (TELEVISIT_URGENT_PHONES), else the single catch-all number (demo numbers by default).
        self.URGENT_PHONE = _env("TELEVISIT_URGENT_PHONE", DEMO_URGENT_PHONES["US"])
        self.URGENT_PHONES = _urgent_phones(
            _env("TELEVISIT_URGENT_PHONES"), demo=_env("TELEVISIT_URGENT_PHONE") is None
        )
        # The desk's mailbox, emailed (through the outbox) when an urgent case opens: the name and a link, no symptoms.
        self.URGENT_ALERT_EMAIL = _alert_email(_env("TELEVISIT_URGENT_ALERT_EMAIL"))
        # The number a patient calls to book the plan the tumor board made (in its message and call-us page).
        self.CARE_TEAM_PHONE = _care_phone(_env("TELEVISIT_CARE_TEAM_PHONE", DEMO_CARE_PHONE))
        self.TWILIO_RATE_PER_SECOND = float(_env("TWILIO_RATE_PER_SECOND", "10") or 10)
        self.TWILIO_TIMEOUT_SECONDS = float(_env("TWILIO_TIMEOUT_SECONDS", "10") or 10)
        # WebRTC ICE servers for the video visit, as a JSON list of RTCIceServer objects, e.g.
        # [{"urls": "stun:stun.example.org"}, {"urls": "turn:turn.example.org", "username": "u", "credential": "c"}]
        self.ICE_SERVERS = _json_list(_env("TELEVISIT_ICE_SERVERS", "[]"), "TELEVISIT_ICE_SERVERS")
        # Outbox dispatch: sending threads per jobs process (PostgreSQL; SQLite always uses one) and rows per claim.
        self.OUTBOX_THREADS = _int("TELEVISIT_OUTBOX_THREADS", 0)  # 0 = the default for the database
        self.OUTBOX_BATCH = _int("TELEVISIT_OUTBOX_BATCH", 50)
        # Each web process holding waiting-room sockets says it is alive this often; the jobs clear the sockets
        # of one silent for four beats (it died) so no clinician stays "online" (services/waiting_room/processes.py).
        self.WAITING_HEARTBEAT_SECONDS = _int("TELEVISIT_WAITING_HEARTBEAT_SECONDS", 15)
        # Chat messages one waiting-room socket may send (`limits` notation; a burst up to the count is allowed).
        self.WAITING_MESSAGE_LIMIT = _rate("TELEVISIT_WAITING_MESSAGE_LIMIT", "5 per 10 seconds")
        self.API_TOKEN_HOURS = int(_env("TELEVISIT_API_TOKEN_HOURS", "12") or 12)
        # Sign-in throttling (docs/security.md): failed attempts per client address (Flask-Limiter, in Redis when
        # configured, keyed under this deployment's channel), and a per-account lockout kept in the database.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_KEY_PREFIX = _env("TELEVISIT_RATELIMIT_PREFIX", self.SOCKETIO_CHANNEL)
        self.RATELIMIT_HEADERS_ENABLED = False  # the 429 answer sets its own Retry-After (televisit/web/security.py)
        self.RATELIMIT_SWALLOW_ERRORS = True  # Redis down: sign-in still works (the database lockout still holds)
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # A Redis that hangs (not just refuses) must not hang sign-in: give up quickly, fall back to memory.
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
        self.SIGNIN_RATE_LIMIT = _env("TELEVISIT_SIGNIN_RATE_LIMIT", "10 per minute")
        self.SIGNIN_LOCKOUT_FAILURES = _int("TELEVISIT_SIGNIN_LOCKOUT_FAILURES", 5)
        self.SIGNIN_LOCKOUT_MINUTES = _int("TELEVISIT_SIGNIN_LOCKOUT_MINUTES", 15)
        # Sign-up and "forgot password" email an address someone typed: budgets per address and per client.
        self.ACCOUNT_EMAIL_RATE_LIMIT = _env("TELEVISIT_ACCOUNT_EMAIL_RATE_LIMIT", "5 per hour")
        self.ACCOUNT_CLIENT_RATE_LIMIT = _env("TELEVISIT_ACCOUNT_CLIENT_RATE_LIMIT", "20 per hour")
        # A signed-in session ends after this long without activity, and this long after sign-in whatever happens
        # (checked on the server for pages and the waiting-room socket: televisit/services/sessions.py).
        self.SESSION_IDLE_MINUTES = _positive("TELEVISIT_SESSION_IDLE_MINUTES", 30)
        self.SESSION_MAX_HOURS = _positive("TELEVISIT_SESSION_MAX_HOURS", 12)
        # Anonymous GET /api/v1/slots per client address (signed-in and bearer callers are not counted).
        self.ANON_SEARCH_LIMIT = _env("TELEVISIT_ANON_SEARCH_LIMIT", "30 per minute")
        # POST /fhir/auth/token per client address (a SMART client needs one token per five minutes).
        self.FHIR_TOKEN_RATE_LIMIT = _env("TELEVISIT_FHIR_TOKEN_RATE_LIMIT", "30 per minute")
        # SMART Scheduling Links' $bulk-publish: the Slot files cover the next this many days (API.md "FHIR R4").
        self.PUBLISH_DAYS = _positive("TELEVISIT_PUBLISH_DAYS", 28)
        # A patient booking for themself holds at most this many upcoming visits they booked themself.
        self.PATIENT_MAX_UPCOMING = _int("TELEVISIT_PATIENT_MAX_UPCOMING", 6)
        # A FHIR `$hold` keeps its time this many minutes; then the jobs' sweep releases it (docs/fhir-holds.md).
        self.HOLD_MINUTES = _positive("TELEVISIT_HOLD_MINUTES", 10)
        # Request bodies over 1 MiB are refused (413) before they are read: a limit every client relies on.
        self.MAX_CONTENT_LENGTH = 1024 * 1024
        self.SQLALCHEMY_ENGINE_OPTIONS: dict = {}
        # A pooled connection idle this long is pinged before use (televisit/db_events.py: ping_when_idle).
        self.DB_PING_IDLE_SECONDS = _int("TELEVISIT_DB_PING_IDLE_SECONDS", 10)
        # A threaded web process runs a handler per socket event: size its pool for bursts (a mass disconnect).
        # Applied to server databases only (an in-memory SQLite has a single static connection).
        self.DB_POOL_SIZE = _int("TELEVISIT_DB_POOL_SIZE", 10)
        self.DB_POOL_OVERFLOW = _int("TELEVISIT_DB_POOL_OVERFLOW", 30)
        # Seconds a request (or socket event) waits for a pooled connection when all are in use before it fails: a
        # burst past the pool (thousands of greenlets checking in again after a socket process died) queues here.
        self.DB_POOL_TIMEOUT = _positive("TELEVISIT_DB_POOL_TIMEOUT", 30)
        # Operations (docs/operations.md): one JSON object per log line, who may read /metrics besides this
        # machine (a bearer token), and how long /readyz waits for the database before it says "unreachable".
        self.LOG_FORMAT = _choice("TELEVISIT_LOG_FORMAT", "text", ("text", "json"))
        self.METRICS_TOKEN = _env("TELEVISIT_METRICS_TOKEN")
        self.READY_TIMEOUT_SECONDS = _positive("TELEVISIT_READY_TIMEOUT_SECONDS", 2)
        # Proxies in front that add X-Forwarded-For/-Proto (nginx of deploy/nginx: 1); 0 trusts no such header,
        # since a client could otherwise pick its own address (and escape the sign-in throttle).
        self.PROXY_HOPS = _int("TELEVISIT_PROXY_HOPS", 0)
        if self.PROXY_HOPS < 0:
            raise ConfigError(f"TELEVISIT_PROXY_HOPS must be 0 or more, not {self.PROXY_HOPS}")
        # A standby jobs process tries the jobs lock this often, and the active one checks that it still holds it
        # (docs/operations.md, "A standby jobs process").
        self.JOBS_LOCK_POLL_SECONDS = _positive("TELEVISIT_JOBS_LOCK_POLL_SECONDS", 5)
        # Days kept before the daily purge blanks or deletes them (docs/data-retention.md), rows per transaction.
        self.RETAIN_MESSAGE_BODIES_DAYS = _positive("TELEVISIT_RETAIN_MESSAGE_BODIES_DAYS", 90)
        self.RETAIN_WAITING_MESSAGES_DAYS = _positive("TELEVISIT_RETAIN_WAITING_MESSAGES_DAYS", 30)
        self.RETAIN_TWILIO_RECEIPTS_DAYS = _positive("TELEVISIT_RETAIN_TWILIO_RECEIPTS_DAYS", 730)
        self.RETAIN_API_TOKENS_DAYS = _positive("TELEVISIT_RETAIN_API_TOKENS_DAYS", 30)
        self.RETAIN_USER_SESSIONS_DAYS = _positive("TELEVISIT_RETAIN_USER_SESSIONS_DAYS", 30)
        self.RETAIN_ACCOUNT_TOKENS_DAYS = _positive("TELEVISIT_RETAIN_ACCOUNT_TOKENS_DAYS", 30)
        self.RETENTION_BATCH = _positive("TELEVISIT_RETENTION_BATCH", 1000)
        # `flask backup create` writes here and deletes backups older than the kept days (docs/data-retention.md).
        self.BACKUP_DIR = _env("TELEVISIT_BACKUP_DIR", str(INSTANCE / "backups"))
        self.BACKUP_KEEP_DAYS = _positive("TELEVISIT_BACKUP_KEEP_DAYS", 35)
        self.WTF_CSRF_TIME_LIMIT = None
        self.JSON_SORT_KEYS = False
        self.DEV_OUTBOX = False  # development only (DevConfig)

    def validate(self) -> None:
        """Refuse unsafe settings; subclasses tighten this."""


def kept_secret(path: Path) -> str:
    """The development secret kept in `path`: generated on the first start, then the same on every start.

    Written readable by this user only (0600) through a temporary file and a hard link, so two processes
    starting at once (`serve` and `jobs run`) agree on one secret and neither reads a half-written file.
    """
    secret = _read_secret(path)
    if secret:
        return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
        os.link(temporary, path)  # fails if another process got there first: then theirs is the secret
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
    return _read_secret(path) or ""


def _read_secret(path: Path) -> str | None:
    try:
        secret = path.read_text().strip()
    except FileNotFoundError:
        return None
    if path.stat().st_mode & 0o077:  # copied in with looser permissions: readable by this user only
        with contextlib.suppress(OSError):
            path.chmod(0o600)
    if len(secret) < 32:
        raise ConfigError(f"{path} must hold a secret of 32+ characters (delete it to have a new one made)")
    return secret


class DevConfig(BaseConfig):
    """Embedded default: SQLite, the dev outbox, and a secret generated once and kept in instance/secret_key."""

    ENV_NAME = "development"

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or self.default_secret()
        # /dev/outbox (televisit/web/dev_outbox.py) shows patients' contact details: on in development only,
        # and even then answered only to requests from this machine.
        self.DEV_OUTBOX = True

    @staticmethod
    def default_secret() -> str:
        """Kept across restarts, so a restart signs nobody out and breaks no link already sent."""
        return kept_secret(Path(_env("TELEVISIT_SECRET_KEY_FILE", str(INSTANCE / "secret_key")) or ""))


class TestConfig(DevConfig):
    """pytest: the database URL comes from TELEVISIT_DATABASE_URL (set by the fixtures)."""

    ENV_NAME = "test"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.WTF_CSRF_ENABLED = False
        self.DEV_OUTBOX = False  # a test that reads the dev outbox turns it on
        # The test client is one address for every test: the anonymous search limit is tried by tests that
        # set their own (tests/integration/test_hardening_api_limits.py).
        self.ANON_SEARCH_LIMIT = _env("TELEVISIT_ANON_SEARCH_LIMIT", "100000 per minute")

    @staticmethod
    def default_secret() -> str:
        """A new secret per app: tests share no state through a file."""
        return secrets.token_hex(32)


class ProdConfig(BaseConfig):
    """Production: refuses to start with a default secret, debug on, or a moved clock."""

    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = True
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.HSTS = "max-age=31536000; includeSubDomains"  # televisit/web/security.py sends it in production only

    def validate(self) -> None:
        if not self.SECRET_KEY or len(self.SECRET_KEY) < 32:
            raise ConfigError("TELEVISIT_SECRET_KEY must be set (32+ characters) in production")
        if self.TELEVISIT_NOW:
            raise ConfigError("TELEVISIT_NOW is for demos and tests only; unset it in production")
        if self.METRICS_TOKEN is not None and len(self.METRICS_TOKEN) < 32:
            raise ConfigError("TELEVISIT_METRICS_TOKEN must be 32+ characters when set")
        if os.environ.get("FLASK_DEBUG") in ("1", "true"):
            raise ConfigError("debug must be off in production")


CONFIGS = {"development": DevConfig, "test": TestConfig, "production": ProdConfig}


def load_config(name: str | None = None) -> BaseConfig:
    """Instantiate the settings named by `name` or TELEVISIT_ENV (default development)."""
    key = name or _env("TELEVISIT_ENV", "development") or "development"
    if key not in CONFIGS:
        raise ConfigError(f"TELEVISIT_ENV must be one of {sorted(CONFIGS)}")
    config = CONFIGS[key]()
    config.validate()
    return config
