"""deploy/ for a host: the environment file names every setting the app reads, and each systemd unit reads that file
and starts a command of this checkout (the stack smoke test, tests/stack, runs the nginx site and the gunicorn
configs themselves)."""

from __future__ import annotations

import re

from tests.support.live_server import ROOT

DEPLOY = ROOT / "deploy"
DEVELOPMENT_ONLY = {"TELEVISIT_SECRET_KEY_FILE"}  # the dev secret's file: production sets TELEVISIT_SECRET_KEY


def settings_read_by_the_app() -> set[str]:
    source = (ROOT / "config" / "__init__.py").read_text()
    return set(re.findall(r'"((?:TELEVISIT|TWILIO|SMTP)_[A-Z_]+|MAIL_FROM)"', source)) - DEVELOPMENT_ONLY


def test_the_env_example_names_every_setting():
    named = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", (DEPLOY / "env.example").read_text(), flags=re.M))
    wanted = settings_read_by_the_app() | {"PROMETHEUS_MULTIPROC_DIR", "TELEVISIT_ENV", "TELEVISIT_PROXY_HOPS"}
    assert wanted - named == set(), f"add to deploy/env.example: {sorted(wanted - named)}"


def test_the_env_example_sets_what_production_requires():
    active = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", (DEPLOY / "env.example").read_text(), flags=re.M))
    assert active["TELEVISIT_ENV"] == "production" and active["TELEVISIT_PROXY_HOPS"] == "1"
    assert {"TELEVISIT_DATABASE_URL", "TELEVISIT_REDIS_URL", "TELEVISIT_SECRET_KEY", "TELEVISIT_PUBLIC_URL"} <= set(
        active
    )
    assert "TELEVISIT_NOW" not in active  # refused by the production settings


def test_every_unit_reads_the_env_file_and_runs_this_checkout():
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert [u.name for u in units] == [
        "televisit-api.service",
        "televisit-backup.service",
        "televisit-jobs.service",
        "televisit-socket@.service",
    ]
    for unit in units:
        text = unit.read_text()
        assert "EnvironmentFile=/etc/televisit/env" in text and "WorkingDirectory=/srv/televisit" in text
        command = re.search(r"^ExecStart=(.*)$", text, flags=re.M).group(1)
        for config in re.findall(r"-c (\S+)", command):
            assert (ROOT / config).is_file(), f"{unit.name}: {config} does not exist"
    assert "-b 127.0.0.1:%i" in (DEPLOY / "systemd" / "televisit-socket@.service").read_text()
    assert "jobs run" in (DEPLOY / "systemd" / "televisit-jobs.service").read_text()


def test_a_daily_timer_backs_up_and_drills_the_restore():
    unit = (DEPLOY / "systemd" / "televisit-backup.service").read_text()
    commands = re.findall(r"^ExecStart=(.*)$", unit, flags=re.M)
    assert [c.split("wsgi ")[1] for c in commands] == ["backup create", "backup drill"]  # in this order
    timer = (DEPLOY / "systemd" / "televisit-backup.timer").read_text()
    assert re.search(r"^OnCalendar=\*-\*-\* \d\d:\d\d:00$", timer, flags=re.M) and "Persistent=true" in timer
