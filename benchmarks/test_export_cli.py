"""Benchmarks 4–6: the roster export (time, peak memory), CLI start-up, demo generation.

Each export and each CLI start runs in its own process: peak memory and start-up are that
process's alone.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
STARTS = 5


def probe(url: str, mode: str) -> dict:
    done = subprocess.run([sys.executable, str(HERE / "export_probe.py"), url, mode], cwd=HERE.parent,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_roster_export(province, results):
    floor = min((probe(province.url, "openpyxl") for _ in range(2)), key=lambda r: r["seconds"])
    runs = [probe(province.url, "roster") for _ in range(2)]
    best = min(runs, key=lambda r: r["seconds"])
    assert best["rows"] == floor["rows"]
    results.add("roster export (xlsx), time", province.backend, best["seconds"], floor_seconds=floor["seconds"],
                goal=2, note=f"{best['rows']:,} rows, {best['bytes'] / 1e6:.1f} MB file; floor: openpyxl "
                             "write-only writing the same rows (already in memory)", extra=best)
    peak = max(r["peak_mb"] for r in runs)
    results.add("roster export (xlsx), peak memory", province.backend, peak, goal=250, unit="MB",
                note=f"the probe's highest RSS during the export (VmHWM); {best['baseline_mb']:.0f} MB before it "
                     f"with the app loaded, so the export added {best['export_mb']:.0f} MB", extra=best)


def best_start(argv: list[str]) -> float:
    """Best of STARTS, after one start that writes the bytecode caches (as an installed copy has
    them; a PYTHONDONTWRITEBYTECODE environment would otherwise compile every module each time)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(STARTS + 1):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return min(times[1:])


def test_cli_start(province, results):
    if province.backend != "sqlite":   # the same whatever the database
        return
    floor = best_start([sys.executable, "-c", "pass"])
    value = best_start([str(BIN / "intranet"), "--help"])
    imported = subprocess.run([sys.executable, "-c", "import sys; from intranet import create_app; "
                               "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://'}); print(' '.join(m for m in "
                               "('openpyxl', 'numpy', 'pypinyin', 'matplotlib', 'docx', 'weasyprint', 'segno') "
                               "if m in sys.modules))"], capture_output=True, text=True).stdout.strip()
    results.add("CLI start: intranet --help", "-", value, floor_seconds=floor, goal=None,
                note=f"floor: python -c pass; best of {STARTS}; heavy modules loaded at start: {imported or 'none'}")


def test_demo_generation(province, results):
    g = province.generation
    when = "generated in this run" if g.get("generated_now") else f"kept from {g.get('generated_at', '?')}"
    results.add(f"demo generation ({province.scale})", province.backend, g["seconds"],
                note=f"{g['rows']:,} rows, {g['rows'] / g['seconds']:,.0f} rows/s, ANALYZE "
                     f"{g.get('analyze_seconds', 0):.0f} s; {when}", extra=g)
    results.add(f"demo generation ({province.scale}), peak memory", province.backend, g["peak_mb"], unit="MB",
                note="the generating process's peak RSS")
