"""学法: the hook implementations (the entry point in pyproject.toml names this module)."""
from __future__ import annotations

from pathlib import Path

from intranet.hookspecs import hookimpl

from . import hookspecs, models  # noqa: F401  (hookspecs: the core adds study_hours from here; models: the tables)

NAME = "law_study"
DESCRIPTION = "学法：会前学法、法治讲座、出勤与个人学时台账"


@hookimpl
def register_models():
    from .models import MODELS
    return MODELS


@hookimpl
def migration_dirs():
    return [str(Path(__file__).resolve().parent / "migrations" / "versions")]
