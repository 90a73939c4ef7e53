"""One export in its own process, for benchmark 4 (memory from /proc/self/status, see _memory):

    python benchmarks/export_probe.py URL roster     # the plugin's roster export, whole province
    python benchmarks/export_probe.py URL openpyxl   # openpyxl write-only writing the same rows

Prints JSON: seconds (the export, or only openpyxl's writing), rows, bytes, and in MB:
baseline_mb (RSS with the app loaded, just before the export), peak_mb (the highest RSS during
the export: VmHWM reset at its start), start_peak_mb (the highest RSS before it, the app's start)
and export_mb (peak_mb - baseline_mb, what the export itself added).
"""
import json
import sys
import tempfile
import time
from pathlib import Path

from _memory import reset_peak, status_mb


def main(url: str, mode: str) -> dict:
    from intranet import create_app
    from intranet.extensions import db
    from intranet_certificates.exports import HEADER, write_roster
    from intranet_certificates.views.certificates import roster_query

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.xlsx"
        import openpyxl.styles  # noqa: F401 - imported on first use by the export: outside the timing too
        db.session.execute(roster_query().limit(1)).all()   # connect and compile outside the timing
        start_peak = status_mb("VmHWM")
        baseline = status_mb("VmRSS")
        peak_is_the_exports = reset_peak()
        if mode == "roster":
            started = time.perf_counter()
            rows = write_roster(path)
            seconds = time.perf_counter() - started
        else:
            from openpyxl import Workbook
            data = [(n, r.department, r.name, r.number, r.category, r.region, r.valid_until)
                    for n, r in enumerate(db.session.execute(roster_query()), start=1)]
            started = time.perf_counter()
            wb = Workbook(write_only=True)
            ws = wb.create_sheet("roster")
            ws.append(["行政执法人员登记造册"])
            ws.append(HEADER)
            for row in data:
                ws.append(row)
            wb.save(path)
            seconds = time.perf_counter() - started
            rows = len(data)
        size = path.stat().st_size
        peak = status_mb("VmHWM")
    return {"seconds": seconds, "rows": rows, "bytes": size, "baseline_mb": baseline, "peak_mb": peak,
            "start_peak_mb": start_peak, "export_mb": round(peak - baseline, 1) if peak and baseline else None,
            # False (no clear_refs): peak_mb is the whole process's, the app's start included
            "peak_is_the_exports": peak_is_the_exports}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
