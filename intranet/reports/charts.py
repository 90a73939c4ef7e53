"""Charts of the report's figures, drawn on the server with matplotlib (no CDN, no JavaScript).

A fragment offers charts as :class:`intranet.hookspecs.ReportChart` data; the assembled report
carries them as ``report["charts"]`` (dicts). This module draws one chart as SVG for the page
(text as paths, so Chinese shows without fonts on the reader's machine) or as PNG for the Word
file (:func:`report_charts`). matplotlib is imported here only, on the first chart drawn: the app
and the CLI start without it.
"""
from __future__ import annotations

import io
import json
import threading
from functools import lru_cache

from .formatting import pct, wan

FONT_FAMILIES = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
                 "Microsoft YaHei", "SimHei", "DejaVu Sans"]
MAX_BARS = 30           # a bar chart of more labels shows the first ones, in the fragment's order (and says so)
RED = "#b4232a"
_lock = threading.Lock()   # pyplot's state is global; one figure at a time
_pyplot = None


def _plt():
    """pyplot with the Agg backend and a CJK font (imported on first use)."""
    global _pyplot
    if _pyplot is None:
        import matplotlib
        matplotlib.use("Agg", force=True)
        from matplotlib import font_manager, pyplot
        if not {f.name for f in font_manager.fontManager.ttflist} & set(FONT_FAMILIES[:-1]):
            # matplotlib's font list is cached on first use: CJK fonts installed since are not in it
            for path in font_manager.findSystemFonts():
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):   # a font FreeType cannot read
                    pass
        matplotlib.rcParams.update({
            "font.family": "sans-serif", "font.sans-serif": FONT_FAMILIES, "axes.unicode_minus": False,
            "svg.fonttype": "path", "svg.hashsalt": "intranet-report",   # stable SVG for a stable chart
            "axes.spines.top": False, "axes.spines.right": False,
        })
        _pyplot = pyplot
    return _pyplot


def _value_text(value, unit: str, rate: bool) -> str:
    return pct(value) if rate else f"{wan(value)}{unit}"


def _draw(chart: dict, fmt: str, dpi: int) -> bytes:
    plt = _plt()
    labels = list(chart.get("labels") or [])
    values = [float(v or 0) for v in chart.get("values") or []]
    title = chart.get("title", "")
    unit = chart.get("unit", "")
    rate = unit == "%"
    kind = chart.get("kind") or "bar"
    if len(labels) > MAX_BARS and kind == "bar":
        title += f"（前{MAX_BARS}个，共{len(labels)}个）"
        values, labels = values[:MAX_BARS], labels[:MAX_BARS]
    horizontal = kind == "bar" and (chart.get("by") == "department" or len(labels) > 8)
    height = max(2.6, 0.32 * len(labels) + 1.2) if horizontal else 3.2
    fig, ax = plt.subplots(figsize=(6.4, min(height, 11)), dpi=dpi)
    try:
        if kind == "line":
            ax.plot(labels, values, marker="o", color=RED)
            ax.set_ylim(bottom=0)
            for x, v in zip(labels, values):
                ax.annotate(_value_text(v, "", rate), (x, v), textcoords="offset points", xytext=(0, 5),
                            ha="center", fontsize=8)
        elif kind == "pie" and sum(values) > 0:
            ax.pie(values, labels=labels, autopct="%1.1f%%", startangle=90, counterclock=False,
                   textprops={"fontsize": 9})
            ax.axis("equal")
        elif horizontal:
            positions = list(range(len(labels)))[::-1]
            bars = ax.barh(positions, values, color=RED)
            ax.set_yticks(positions, labels, fontsize=9)
            ax.bar_label(bars, [_value_text(v, "", rate) for v in values], padding=3, fontsize=8)
            ax.margins(x=0.15)
        else:
            bars = ax.bar(labels, values, color=RED)
            ax.bar_label(bars, [_value_text(v, "", rate) for v in values], padding=2, fontsize=8)
            ax.margins(y=0.15)
            if len(labels) > 4:
                plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
        if rate and kind != "pie":
            axis = ax.xaxis if horizontal else ax.yaxis
            axis.set_major_formatter(lambda v, _pos: pct(v))
        ax.set_title(title + (f"（单位：{unit}）" if unit and not rate else ""), fontsize=11)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
        return out.getvalue()
    finally:
        plt.close(fig)


@lru_cache(maxsize=256)
def _cached(chart_json: str, fmt: str, dpi: int) -> bytes:
    with _lock:
        return _draw(json.loads(chart_json), fmt, dpi)


def render(chart: dict, fmt: str = "svg", dpi: int = 100) -> bytes:
    """One chart as SVG or PNG bytes (the same chart draws once per process)."""
    if fmt not in ("svg", "png"):
        raise ValueError(fmt)
    return _cached(json.dumps(chart, sort_keys=True, ensure_ascii=False), fmt, dpi)


def svg(chart: dict) -> str:
    """The chart as inline SVG markup for a page (the XML prolog dropped)."""
    text = render(chart, "svg").decode("utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def report_charts(report: dict, dpi: int = 200) -> list[tuple[str, bytes]]:
    """Every chart of an assembled report as (title, PNG bytes), for the Word file."""
    return [(c["title"], render(c, "png", dpi)) for c in report.get("charts") or [] if c.get("labels")]
