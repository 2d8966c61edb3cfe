"""Operations: seed-demo, users, fhir-clients, serve, jobs, retention, backup (db upgrade: Flask-Migrate)."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app

from televisit import clock
from televisit.domain.errors import DomainError
from televisit.extensions import db


def register(app: Flask) -> None:
    """Attach the commands to `app`."""
    app.cli.add_command(seed_demo)
    app.cli.add_command(users)
    app.cli.add_command(fhir_clients)
    app.cli.add_command(serve)
    app.cli.add_command(jobs)
    app.cli.add_command(retention)
    app.cli.add_command(backup)


@click.command("seed-demo")
@click.option("--with-users", is_flag=True, help="also create demo sign-ins (password televisit-demo)")
def seed_demo(with_users: bool) -> None:
    """Load the demo program (3 sites, clinicians, visit types, availability, scanners and linacs, clinic-day
    pathways, demo patients' radiosurgery courses and clinic days, visits today and this week); idempotent."""
    from televisit.services.seed import seed

    counts = seed(db.session, now=clock.now(), with_users=with_users, with_bookings=True)
    click.echo("Demo program loaded: " + summary(counts))


def summary(counts: dict[str, int]) -> str:
    """The seed's counts in words: "4 demo users (0 new)" when a re-run found them all there already."""
    new = {k.removeprefix("new "): v for k, v in counts.items() if k.startswith("new ")}
    parts = (
        f"{v} {k}" + (f" ({new[k]} new)" if k in new else "") for k, v in counts.items() if not k.startswith("new ")
    )
    return ", ".join(parts)


@click.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "scheduler", "clinician", "patient"]))
@click.option("--name", default=None)
@click.option("--timezone", "tz", default="America/New_York", help="a patient's home zone")
def create_user(email: str, password: str, role: str, name: str | None, tz: str) -> None:
    """Create a user (a patient user is its own patient record)."""
    from televisit.services.auth import create_user as create

    try:
        user = create(db.session, email=email, password=password, role=role, name=name, now=clock.now(), timezone=tz)
    except DomainError as exc:
        raise _refusal(exc) from exc
    linked = (
        f", patient #{user.patient_id}"
        if user.patient_id
        else (f", clinician #{user.clinician_id}" if user.clinician_id else "")
    )
    click.echo(f"Created {user.role} {user.email} (user #{user.id}{linked})")


def _refusal(exc: DomainError) -> click.ClickException:
    detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    return click.ClickException(f"{exc.message} {detail}".strip())


CLI_CONTEXT = {"user_id": None, "role": "operator", "channel": "cli"}


@click.group("fhir-clients")
def fhir_clients() -> None:
    """SMART Backend Services clients of the FHIR API (docs/fhir-backend-services.md)."""


@fhir_clients.command("add")
@click.option("--name", required=True, help="e.g. the EHR and its environment")
@click.option("--jwks-file", required=True, type=click.File("r", encoding="utf-8"), help="its public JWK Set")
@click.option("--scopes", required=True, help='space-separated, e.g. "system/Slot.read system/Appointment.write"')
def add_fhir_client(name: str, jwks_file, scopes: str) -> None:
    """Register a client; prints its client_id (give it to its integration engineer)."""
    from televisit.services.audit import Context
    from televisit.services.integrations import clients

    try:
        client = clients.register(
            db.session, name=name, jwks=jwks_file.read(), scopes=scopes, ctx=Context(**CLI_CONTEXT), now=clock.now()
        )
    except DomainError as exc:
        raise _refusal(exc) from exc
    click.echo(client.client_id)


@fhir_clients.command("list")
def list_fhir_clients() -> None:
    """Every client: client_id, status, name and scopes, one per line."""
    from televisit.services.integrations import clients

    for c in clients.list_clients(db.session):
        status = f"revoked {c.revoked_at:%Y-%m-%dT%H:%MZ}" if c.revoked_at else "active"
        click.echo(f"{c.client_id}\t{status}\t{c.name}\t{c.scopes}")


@fhir_clients.command("revoke")
@click.argument("client_id")
def revoke_fhir_client(client_id: str) -> None:
    """Revoke a client: its tokens stop working at once."""
    from televisit.services.audit import Context
    from televisit.services.integrations import clients

    try:
        client = clients.revoke(db.session, client_id, ctx=Context(**CLI_CONTEXT), now=clock.now())
    except DomainError as exc:
        raise _refusal(exc) from exc
    click.echo(f"Revoked {client.name} ({client.client_id})")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--with-jobs", is_flag=True, help="also run the background jobs in this process")
def serve(host: str, port: int, with_jobs: bool) -> None:
    """Run the web server with websockets (development and the embedded default)."""
    from televisit.extensions import socketio

    app = current_app._get_current_object()
    _forget_stale_sockets(app)
    if with_jobs:
        from jobs.runner import start_background

        start_background(app)
    click.echo(f"Televisit on http://{host}:{port}  (Ctrl+C to stop)")
    os.environ.pop("FLASK_RUN_FROM_CLI", None)  # let Flask-SocketIO start its server under `flask serve`
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False, log_output=False)


def _forget_stale_sockets(app) -> None:
    """Alone (no Redis), this process will own every socket: presence rows left by an earlier run are stale."""
    if app.config.get("REDIS_URL"):
        return  # other web processes may hold live sockets
    from sqlalchemy.exc import SQLAlchemyError

    from televisit.services.waiting_room.presence import forget_all

    try:
        forget_all(db.session)
        db.session.commit()
    except SQLAlchemyError as exc:  # e.g. not migrated yet: serving still works, the pages will say why
        db.session.rollback()
        click.echo(f"(could not clear stale waiting-room presence: {type(exc).__name__})", err=True)
    finally:
        db.session.remove()


@click.group()
def jobs() -> None:
    """The jobs process."""


@jobs.command("run")
def jobs_run() -> None:
    """Run the scheduled jobs until stopped (SIGTERM stops cleanly); a standby while another process holds the lock."""
    import logging

    from jobs.runner import run_forever

    code = run_forever(current_app._get_current_object())
    if code:  # the lock was lost: leave now, without finishing the jobs in hand (the outbox reconciles them)
        logging.shutdown()
        os._exit(code)


@jobs.command("run-once")
@click.option(
    "--wait", default=60.0, show_default=True, type=click.FloatRange(min=0), help="seconds to wait for the jobs lock"
)
def jobs_run_once(wait: float) -> None:
    """Run every due job once, then exit; refused (exit 1) while another jobs process keeps the jobs lock."""
    from jobs.runner import run_once_locked

    results = run_once_locked(current_app._get_current_object(), wait, lambda line: click.echo(line, err=True))
    if results is None:
        raise SystemExit(1)
    for name, result in results:
        click.echo(f"{name}: {result}")


@click.group()
def retention() -> None:
    """The retention purge (docs/data-retention.md)."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="only count what would be purged")
def retention_run(dry_run: bool) -> None:
    """Blank old message bodies and delete expired short-lived rows now (the jobs process does it daily)."""
    from televisit.services import retention as r

    periods = r.Periods.from_config(current_app.config)
    batch = current_app.config["RETENTION_BATCH"]
    counts = (
        r.due(db.session, periods, now=clock.now())
        if dry_run
        else r.purge(db.session, periods, now=clock.now(), batch=batch)
    )
    for line in r.report(counts, periods, dry_run=dry_run):
        click.echo(line)


@click.group()
def backup() -> None:
    """Backups and the restore drill (docs/data-retention.md, "Backup")."""


def _backup_dir(directory: str | None):
    from pathlib import Path

    return Path(directory or current_app.config["BACKUP_DIR"])


@backup.command("create")
@click.option("--dir", "directory", help="where backups are kept (default TELEVISIT_BACKUP_DIR)")
@click.option("--keep-days", type=click.IntRange(min=1), help="delete older backups (TELEVISIT_BACKUP_KEEP_DAYS)")
def backup_create(directory: str | None, keep_days: int | None) -> None:
    """Back the database up now (pg_dump -Fc; SQLite's online backup) and delete expired backups."""
    from televisit.services.operations import backup as b

    keep = keep_days or current_app.config["BACKUP_KEEP_DAYS"]
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        path = b.create(url, _backup_dir(directory), now=clock.now(), keep_days=keep, say=click.echo)
    except b.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup: {path}")


@backup.command("drill")
@click.option("--file", "dump", help="the backup to restore (default: the newest in --dir)")
@click.option("--dir", "directory", help="where backups are kept (default TELEVISIT_BACKUP_DIR)")
def backup_drill(dump: str | None, directory: str | None) -> None:
    """Restore a backup into a scratch database, check it, and drop the copy (exit 1 when it does not restore)."""
    from pathlib import Path

    from televisit.services.operations import backup as b
    from televisit.services.operations.readiness import code_heads

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    heads = code_heads(current_app.extensions["migrate"].directory)
    try:
        path = Path(dump) if dump else b.latest(_backup_dir(directory))
        b.drill(url, path, heads=heads, say=click.echo)
    except b.BackupError as exc:
        raise click.ClickException(f"restore drill FAILED: {exc}") from exc
    click.echo(f"restore drill passed: {path}")
