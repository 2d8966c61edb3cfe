"""gunicorn settings for production (docs/waiting-room.md, "Production"), given with `-c`:

    gunicorn -c config/gunicorn.py -w 4 -k sync -b 127.0.0.1:8000 wsgi:app

Options on the command line still apply on top of these (workers, worker class, bind, log files).

Signed links (`/l/<purpose>/<token>`), join links and calendar feeds (`/calendar/<token>.ics`) carry their
credential in the URL path, and searches carry patient names in the query string. The filter of
televisit/web/log_masking.py masks the one (`/l/cancel/…`) and drops the other in gunicorn's access and error
logs, whatever `access_log_format` says (every atom is scrubbed, the referer too). It goes on the loggers in
the master before any worker starts (inherited by every worker), and again in each worker once the app is
loaded; the app also installs it on start, so a gunicorn started without this file is covered as well.
"""

accesslog = "-"  # gunicorn keeps no access log unless told to: on stdout, masked as above


def on_starting(server) -> None:
    """In the master, before the first worker is forked."""
    from televisit.web.log_masking import install

    install()


def post_worker_init(worker) -> None:
    """In each worker, after it loaded the app (whose URL map names the token routes)."""
    from televisit.web.log_masking import install

    install()
