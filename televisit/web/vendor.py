"""Front-end packages from `node_modules` (installed by `npm ci`), served from our own origin, never a CDN.

Only the files named in VENDOR are reachable. A URL made by `vendor_url` carries the package version,
so browsers may keep the file for a year; a new version gets a new URL.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, abort, request, send_file, url_for

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
ONE_YEAR = 365 * 24 * 3600

# public name -> (npm package, file inside it, mimetype)
VENDOR = {
    "socket.io.min.js": ("socket.io-client", "dist/socket.io.min.js", "text/javascript"),
    "socket.io.min.js.map": ("socket.io-client", "dist/socket.io.min.js.map", "application/json"),
    # the desk's time grid (/schedule): vkurko/calendar's standalone bundle, MIT
    "event-calendar.min.js": ("@event-calendar/build", "dist/event-calendar.min.js", "text/javascript"),
    "event-calendar.min.js.map": ("@event-calendar/build", "dist/event-calendar.min.js.map", "application/json"),
    "event-calendar.min.css": ("@event-calendar/build", "dist/event-calendar.min.css", "text/css"),
}

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@cache
def package_version(package: str) -> str | None:
    """The installed version of an npm package (None when `npm ci` has not run)."""
    try:
        return json.loads((NODE_MODULES / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def vendor_url(name: str) -> str:
    """The URL of an allow-listed vendor file, versioned so it can be cached for long."""
    package = VENDOR[name][0]
    return url_for("vendor.asset", name=name, v=package_version(package))


@bp.get("/<name>")
def asset(name: str):
    entry = VENDOR.get(name)
    if entry is None:
        abort(404)
    package, inner, mimetype = entry
    path = NODE_MODULES / package / inner
    if not path.is_file():
        abort(404, description=f"{name} is not installed here (run `npm ci`).")
    versioned = request.args.get("v") == package_version(package)
    resp = send_file(path, mimetype=mimetype, max_age=ONE_YEAR if versioned else 0, conditional=True)
    if versioned:
        resp.cache_control.public = True
        resp.cache_control.immutable = True
    else:
        resp.cache_control.no_cache = True
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def register(app: Flask) -> None:
    """The blueprint, and `vendor_url()` for templates."""
    app.register_blueprint(bp)
    app.add_template_global(vendor_url)
