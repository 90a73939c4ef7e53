"""The benchmarks' fixtures: the province demo database (kept between runs) and the results table.

``province`` (one per backend of :func:`intranet.testing.backends`) has ``.app``, ``.backend``,
``.url`` and ``.generation`` (time, peak memory and rows of the run that generated the data).
The demo data is generated once and kept: a SQLite file in ``benchmarks/.data/`` and the
PostgreSQL database ``bench_<scale>`` on TEST_DATABASE_URL's server. A marker table in that
database holds a hash of the demo generators; the data is generated again only when they change
(or never, with BENCH_SKIP_GENERATION=1). BENCH_SCALE picks the scale (default ``province``;
``small`` checks the harness in a minute).

``results.add(name, backend, value_seconds, floor_seconds=None, goal=None, note="", extra=None,
unit="s")`` records one figure; ``ratio`` is value / floor and ``goal`` is the largest ratio
allowed (or, without a floor, the largest value). At the end the table is printed and written to
``benchmarks/results.md`` (other scales: ``benchmarks/.data/results-<scale>.md``).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from intranet.testing import BASE_CONFIG, backends

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / ".data"
SCALE = os.environ.get("BENCH_SCALE", "province")
MARKER = "bench_marker"


# --- the kept database ---------------------------------------------------------------------

def generator_sources() -> list[Path]:
    """The core's demo modules and every enabled plugin's (``demo*.py`` beside its hooks)."""
    from intranet import create_app
    from intranet.plugins import get_pm
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        dirs = {Path(sys.modules[impl.function.__module__].__file__).parent
                for impl in get_pm().hook.demo_data.get_hookimpls()}
    files = sorted((REPO / "intranet").glob("demo*.py"))
    for d in sorted(dirs):
        files += sorted(d.glob("demo*.py"))
    return files


def generator_hash() -> str:
    digest = hashlib.sha256(SCALE.encode())
    for path in generator_sources():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def database_url(backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{DATA / f'{SCALE}.db'}"
    base = make_url(os.environ["TEST_DATABASE_URL"])
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    return base.set(database=os.environ.get("BENCH_PG_DATABASE", f"bench_{SCALE}")).render_as_string(
        hide_password=False)


def read_marker(url: str) -> dict | None:
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text(f"SELECT value FROM {MARKER} WHERE key = 'generation'")).first()
        return json.loads(row[0]) if row else None
    except Exception:   # no database, or no marker table: generate
        return None
    finally:
        engine.dispose()


def write_marker(url: str, info: dict) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {MARKER} (key VARCHAR(40) PRIMARY KEY, value TEXT)"))
        conn.execute(text(f"DELETE FROM {MARKER} WHERE key = 'generation'"))
        conn.execute(text(f"INSERT INTO {MARKER} (key, value) VALUES ('generation', :v)"), {"v": json.dumps(info)})
    engine.dispose()


def recreate(backend: str, url: str) -> None:
    if backend == "sqlite":
        Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
        return
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def generate(backend: str, url: str, wanted: str) -> dict:
    recreate(backend, url)
    print(f"\n[bench] generating the {SCALE} demo on {backend} (kept in {make_url(url).database}) …",
          file=sys.stderr, flush=True)
    done = subprocess.run([sys.executable, str(HERE / "generate.py"), url, SCALE], cwd=REPO,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"demo generation failed:\n{done.stderr[-4000:]}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    info.update(hash=wanted, generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                generated_now=True)
    write_marker(url, info)
    return info


def prepare(backend: str) -> tuple[str, dict]:
    """The kept database of this backend, generated first if missing or stale (one process at a time)."""
    from intranet import create_app
    from intranet.extensions import db
    from intranet.schema import current_revisions, upgrade
    DATA.mkdir(exist_ok=True)
    url = database_url(backend)
    with open(DATA / f"{backend}-{SCALE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = generator_hash()
        info = read_marker(url)
        skip = os.environ.get("BENCH_SKIP_GENERATION") == "1"
        if info is None or (info.get("hash") != wanted and not skip):
            info = generate(backend, url, wanted)
        else:
            info["generated_now"] = False
            # New migrations (an index, say) reach the kept data too; fresh statistics after them.
            app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
            with app.app_context():
                before = current_revisions()
                upgrade()
                if current_revisions() != before and backend == "postgresql":
                    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(text("VACUUM ANALYZE"))
                db.session.remove()
                db.engine.dispose()
    return url, info


@dataclass
class Province:
    backend: str
    url: str
    app: object
    generation: dict = field(default_factory=dict)
    scale: str = SCALE


@pytest.fixture(scope="session", params=backends())
def province(request):
    from intranet import create_app
    from intranet.extensions import db
    url, info = prepare(request.param)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    yield Province(backend=request.param, url=url, app=app, generation=info)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- results -------------------------------------------------------------------------------

@dataclass
class Result:
    name: str
    backend: str
    value: float
    floor: float | None = None
    goal: float | str | None = None
    note: str = ""
    extra: dict | None = None
    unit: str = "s"

    @property
    def ratio(self) -> float | None:
        return self.value / self.floor if self.floor else None

    @property
    def met(self) -> str:
        if not isinstance(self.goal, (int, float)):
            return ""
        measured = self.ratio if self.floor is not None else self.value
        return "" if measured is None else ("yes" if measured <= self.goal else "NO")


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:,.1f} {unit}" if value < 1000 else f"{value:,.0f} {unit}"


class Results:
    def __init__(self):
        self.rows: list[Result] = []

    def add(self, name, backend, value_seconds, floor_seconds=None, goal=None, note="", extra=None, unit="s"):
        self.rows.append(Result(name, backend, value_seconds, floor_seconds, goal, note, extra, unit))

    def table(self) -> list[list[str]]:
        out = [["benchmark", "backend", "value", "floor", "ratio", "goal", "met?", "note"]]
        for r in self.rows:
            goal = "" if r.goal is None else (
                (f"≤ {r.goal:g}×" if r.floor is not None else f"≤ {_amount(r.goal, r.unit)}")
                if isinstance(r.goal, (int, float)) else str(r.goal))
            out.append([r.name, r.backend, _amount(r.value, r.unit), _amount(r.floor, r.unit),
                        "" if r.ratio is None else f"{r.ratio:.2f}×", goal, r.met, r.note])
        return out


RESULTS = Results()


@pytest.fixture(scope="session")
def results():
    return RESULTS


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    out = [f"CPU: {cpu}, {os.cpu_count()} cores; RAM {mem / 1024 / 1024:.1f} GB; "
           f"load average at the end {os.getloadavg()[0]:.1f}",
           f"{platform.platform()}; Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}"]
    if os.environ.get("TEST_DATABASE_URL"):
        try:
            engine = create_engine(database_url("postgresql").replace(f"/bench_{SCALE}", "/postgres"))
            with engine.connect() as conn:
                out[-1] += f"; PostgreSQL {conn.execute(text('SHOW server_version')).scalar()}"
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - the description only
            out[-1] += f"; PostgreSQL ? ({type(exc).__name__})"
    return out


def pytest_terminal_summary(terminalreporter):
    if not RESULTS.rows:
        return
    rows = RESULTS.table()
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    terminalreporter.section(f"benchmarks ({SCALE} demo data)")
    for row in rows:
        terminalreporter.write_line("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    target = HERE / "results.md" if SCALE == "province" else DATA / f"results-{SCALE}.md"
    target.parent.mkdir(exist_ok=True)
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    notes = (HERE / "results_notes.md").read_text(encoding="utf-8") if (HERE / "results_notes.md").exists() else ""
    target.write_text(
        f"# Benchmark results ({SCALE} demo data)\n\nWritten by `make bench` on {now}.\n\n"
        + "\n".join(f"- {line}" for line in machine()) + "\n\n"
        "Ratio = value / floor, both measured in the same run; the goal is the largest ratio allowed "
        "(or, without a floor, the largest value).\n\n" + markdown_table(rows) + "\n\n" + notes,
        encoding="utf-8")
    terminalreporter.write_line(f"written to {target.relative_to(REPO)}")
