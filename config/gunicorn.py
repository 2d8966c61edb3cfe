"""gunicorn settings for production (docs/waiting-room.md, "Production"; docs/operations.md), given with `-c`:

    gunicorn -c config/gunicorn.py -w 4 -k sync -b 127.0.0.1:8000 wsgi:app

Options on the command line still apply on top of these (workers, worker class, bind, log files).

Signed links (`/l/<purpose>/<token>`), join links and calendar feeds (`/calendar/<token>.ics`) carry their
credential in the URL path, and searches carry patient names in the query string. The filter of
televisit/web/log_masking.py masks the one (`/l/cancel/…`) and drops the other in gunicorn's access and error
logs, whatever `access_log_format` says (every atom is scrubbed, the referer too). It goes on the loggers in
the master before any worker starts (inherited by every worker), and again in each worker once the app is
loaded; the app also installs it on start, so a gunicorn started without this file is covered as well.

With `TELEVISIT_LOG_FORMAT=json` every line is one JSON object (televisit/logs.py): gunicorn's own lines through
the same formatter, and no access log, because the app writes one line per request itself (with its request id,
route, status and duration; televisit/web/observability.py).

With `PROMETHEUS_MULTIPROC_DIR` set (an empty directory shared by every worker, socket process and the jobs
process of this host), `/metrics` adds up all of them; a worker's live gauges go when it exits (`child_exit`).
"""

import os

JSON_LOGS = (os.environ.get("TELEVISIT_LOG_FORMAT") or "text").lower() == "json"

accesslog = None if JSON_LOGS else "-"  # text: gunicorn keeps no access log unless told to; on stdout, masked

if JSON_LOGS:
    _HANDLER = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "televisit.logs.JsonFormatter"}},
        "handlers": {"json": _HANDLER},
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            # the app's own line per request replaces it (a logconfig_dict turns gunicorn's on: keep it silent)
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }


def on_starting(server) -> None:
    """In the master, before the first worker is forked."""
    from televisit.web.log_masking import install

    install()


def post_worker_init(worker) -> None:
    """In each worker, after it loaded the app (whose URL map names the token routes)."""
    from televisit.web.log_masking import install

    install()


def child_exit(server, worker) -> None:
    """In the master, when a worker exits (or is killed): its live gauges stop counting (prometheus-client).
    (prometheus-client itself, not televisit.metrics: the master must hold no metric values of its own.)"""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
