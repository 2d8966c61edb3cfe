"""CPU time spent by the processes taking part in a run, read from /proc (Linux).

On a shared 2-core machine wall-clock throughput moves with everything else that runs; the CPU seconds
each booking costs (web server + its PostgreSQL backends + the load generator) do not, and bound what
an idle machine can do: capacity <= cores / CPU seconds per booking.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields after "pid (comm)"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    f = _stat(pid)
    return (int(f[11]) + int(f[12])) / TICKS if f else 0.0


def children(pid: int) -> list[int]:
    """Direct children of `pid`."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            f = _stat(int(entry.name))
            if f and int(f[1]) == pid:
                out.append(int(entry.name))
    return out


def tree_seconds(pid: int) -> float:
    """CPU seconds of `pid` and its direct children (gunicorn's master and workers)."""
    return cpu_seconds(pid) + sum(cpu_seconds(c) for c in children(pid))


class CpuMeter:
    """Snapshot CPU seconds of a server tree, the PostgreSQL backends `backends()` names, and this
    process; `per(n)` diffs later. A backend that appeared during the run counts from zero."""

    def __init__(self, server_pid: int, backends):
        self.server_pid, self.backends = server_pid, backends
        self.start, self.start_pg = self._read(), self._pg()

    def _pg(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in self.backends()}

    def _read(self) -> dict[str, float]:
        t = os.times()
        return {"server": tree_seconds(self.server_pid), "client": t.user + t.system}

    def per(self, n: int) -> dict[str, float]:
        """Milliseconds of CPU per unit of work since the start, by party, and in all."""
        end, end_pg = self._read(), self._pg()
        out = {k: (end[k] - self.start[k]) * 1000 / max(n, 1) for k in end}
        pg = sum(sec - self.start_pg.get(pid, 0.0) for pid, sec in end_pg.items())
        out["postgres"] = pg * 1000 / max(n, 1)
        out["total"] = out["server"] + out["client"] + out["postgres"]
        return out
