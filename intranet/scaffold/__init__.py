"""``intranet plugins new NAME``: write a minimal working plugin from the files in ``files/``.

Every file is a ``string.Template`` (``${name}``, ``${title}`` …); ``name`` in a path becomes the
plugin's name and ``package`` its package ``intranet_<name>``. The result has one model, one page
with a nav item, one report fragment, one import kind, its first migration and passing tests.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from string import Template

FILES = Path(__file__).parent / "files"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,30}[a-z0-9]$")


class ScaffoldError(ValueError):
    """A name or target that cannot be used; the message is Chinese."""


def check_name(name: str, taken: set[str]) -> None:
    """The form of the name and whether another plugin has it (the core's names are checked by
    ``intranet.plugins.check_plugin_name``)."""
    if not NAME_RE.match(name or "") or "__" in name:
        raise ScaffoldError(f"插件名 {name!r} 无效：只能用小写字母、数字和下划线，以字母开头，3–32个字符")
    if name in taken:
        raise ScaffoldError(f"插件名 {name!r} 已被使用")


def _target(relative: Path, name: str) -> Path:
    parts = []
    for part in relative.parts:
        part = {"package": f"intranet_{name}", "name": name}.get(part, part)
        parts.append(part.replace("name_0001", f"{name}_0001").replace("test_name", f"test_{name}"))
    target = Path(*parts)
    return target.with_suffix("") if target.suffix == ".tmpl" else target


def write_plugin(name: str, title: str, destination: Path, core_head: str) -> list[Path]:
    """Write the plugin into ``destination`` (which must not exist yet). Returns the files written."""
    if destination.exists():
        raise ScaffoldError(f"目录 {destination} 已存在，未写入任何文件")
    values = {"name": name, "dash_name": name.replace("_", "-"), "url_name": name.replace("_", "-"),
              "title": title, "core_head": core_head, "today": date.today().isoformat(),
              "path_hint": str(destination)}
    written = []
    for source in sorted(p for p in FILES.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        target = destination / _target(source.relative_to(FILES), name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(target)
    return written
