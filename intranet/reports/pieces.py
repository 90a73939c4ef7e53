"""A report page's charts and long tables, served apart from the page so its HTML stays small.

The page links each chart as ``<img>`` and shows the first FOLD_ROWS rows of a long table with a
link to all of it, paged. Each piece is kept as JSON under ``instance/cache/report`` named by the
hash of its content and department (REPORT_CACHE_FOLDER to put it elsewhere; so every worker finds it; a chart's drawn bytes are kept next to
it, since drawing takes a while). The URL also names year, department and place in the report: a
piece no longer kept is found again by assembling the report.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from flask import current_app, url_for

FOLD_ROWS = 20
KEEP_FILES = 4000    # the cache directory is pruned (oldest first) beyond this


_made: set[Path] = set()   # folders this process has made (or found): not made again on every view


def cache_dir() -> Path:
    folder = current_app.config.get("REPORT_CACHE_FOLDER")
    path = Path(folder) if folder else Path(current_app.instance_path) / "cache" / "report"
    if path not in _made:
        path.mkdir(parents=True, exist_ok=True)
        _made.add(path)
    return path


def piece_key(department_id: int, year: int, data) -> str:
    text = json.dumps([department_id, year, data], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _write(path: Path, content: bytes) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except FileNotFoundError:   # the folder was removed since this process made it
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    os.replace(tmp, path)


def _prune(folder: Path) -> None:
    files = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
    for old in files[:max(0, len(files) - KEEP_FILES)]:
        old.unlink(missing_ok=True)


def remember(department_id: int, year: int, data) -> str:
    """Keep ``data`` (a chart or a table) for ``department_id`` and ``year``; its key."""
    key = piece_key(department_id, year, data)
    path = cache_dir() / f"{key}.json"
    if not path.exists():
        _write(path, json.dumps({"department_id": department_id, "year": year, "data": data},
                                ensure_ascii=False).encode("utf-8"))
        if len(os.listdir(path.parent)) > KEEP_FILES * 1.1:
            _prune(path.parent)
    return key


def recall(key: str, department_id: int, year: int):
    """The piece kept under ``key`` for that department and year, or None."""
    if not key.isalnum() or len(key) != 32:
        return None
    try:
        kept = json.loads((cache_dir() / f"{key}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if kept.get("department_id") != department_id or kept.get("year") != year:
        return None
    return kept["data"]


def drawn(key: str, chart: dict, fmt: str) -> bytes:
    """The chart's bytes, drawn once and kept beside it."""
    path = cache_dir() / f"{key}.{fmt}"
    try:
        return path.read_bytes()
    except OSError:
        pass
    from .charts import render
    content = render(chart, fmt)
    _write(path, content)
    return content


def find_in_report(report: dict, ref: str, n: int, kind: str):
    """The ``n``-th chart (``kind`` "chart") or table ("table") of fragment ``ref`` ("plugin.key")."""
    if kind == "chart":
        found = [c for c in report.get("charts") or [] if f"{c['plugin']}.{c['fragment']}" == ref]
    else:
        found = [t for f in report["fragments"] if f"{f['plugin']}.{f['key']}" == ref for t in f["tables"]]
    return found[n] if 0 <= n < len(found) else None


def chart_url(chart: dict, department_id: int, year: int, n: int = 0) -> str:
    """The URL of one chart kept for ``department_id`` and ``year`` (the ``n``-th of its fragment)."""
    key = remember(department_id, year, chart)
    return url_for("reports.chart", key=key, fmt="svg", year=year, department=department_id,
                   ref=f"{chart['plugin']}.{chart['fragment']}", n=n)


def page_pieces(report: dict, department_id: int) -> dict:
    """For the page template: ``charts`` {"plugin.key/n": URL} and ``tables`` {"plugin.key/n": URL}
    of the tables longer than FOLD_ROWS."""
    year = report["year"]
    charts, tables = {}, {}
    seen: dict[str, int] = {}
    for chart in report.get("charts") or []:
        ref = f"{chart['plugin']}.{chart['fragment']}"
        n = seen[ref] = seen.get(ref, -1) + 1
        charts[f"{ref}/{n}"] = chart_url(chart, department_id, year, n)
    for fragment in report["fragments"]:
        ref = f"{fragment['plugin']}.{fragment['key']}"
        for n, table in enumerate(fragment["tables"]):
            if len(table["rows"]) > FOLD_ROWS:
                key = remember(department_id, year, table)
                tables[f"{ref}/{n}"] = url_for("reports.table", key=key, year=year, department=department_id,
                                            ref=ref, n=n)
    return {"charts": charts, "tables": tables, "fold": FOLD_ROWS}
