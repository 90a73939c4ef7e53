"""Load one demo scale into an empty database and print what it cost, as JSON (run by conftest.py).

Run in its own process so that the peak memory (VmHWM, see _memory) is the generator's alone:

    python benchmarks/generate.py URL SCALE
"""
import json
import sys
import time

from _memory import status_mb
from sqlalchemy import func, inspect, select, table, text


def main(url: str, scale: str) -> dict:
    from intranet import create_app
    from intranet.demo import load_demo
    from intranet.extensions import db
    from intranet.schema import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        upgrade()
        db.session.remove()
        started = time.perf_counter()
        load_demo(scale, echo=lambda *a: print(*a, file=sys.stderr))
        seconds = time.perf_counter() - started
        db.session.remove()
        names = [n for n in inspect(db.engine).get_table_names() if n != "alembic_version"]
        rows = {n: db.session.scalar(select(func.count()).select_from(table(n))) for n in names}
        analyze = 0.0
        if db.engine.dialect.name == "postgresql":
            # Without statistics the planner nested-loops some plugin queries for minutes; VACUUM sets
            # the visibility map, without which the pagers' index-only counts read the heap.
            db.session.remove()
            started = time.perf_counter()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            analyze = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return {"scale": scale, "seconds": round(seconds, 2), "analyze_seconds": round(analyze, 2),
            "peak_mb": status_mb("VmHWM"),
            "rows": sum(rows.values()), "tables": {k: v for k, v in sorted(rows.items()) if v}}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
