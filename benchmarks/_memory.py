"""This process's memory from /proc/self/status (Linux), for the benchmark probes.

``ru_maxrss`` is not used: Linux carries a process's high-water mark over ``exec``, so a probe
started from a big process (pytest with the app and the data loaded) reports its parent's size
after fork+exec. VmHWM belongs to the process's own address space, begins anew at ``exec``, and
can be reset (``reset_peak``) to measure one step's peak.
"""
from __future__ import annotations

from pathlib import Path


def status_mb(field: str) -> float | None:
    """VmRSS (now) or VmHWM (peak) in MB; None where /proc is not there."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)   # kB
    return None


def reset_peak() -> bool:
    """Set VmHWM to the present RSS (Linux ≥ 4.0, ``clear_refs`` 5); False if it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True
