"""The 法治讲座 a service entry may be linked to, asked of other plugins through this plugin's hook
``adviser_lecture_sessions`` (law_study may answer it; with nobody answering there is no choice)."""
from __future__ import annotations

from intranet.plugins import call_safely


def options(department, day) -> dict[str, str]:
    answers, _failures = call_safely("adviser_lecture_sessions", expect=dict, department=department, day=day)
    out = {}
    for a in answers:
        ref, label = str(a.get("ref", ""))[:60], str(a.get("label", ""))[:200]
        if ref:
            out[ref] = label or ref
    return out
