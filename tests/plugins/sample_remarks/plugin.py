"""Answers ``sample_notes_remarks``; harmless when sample_notes is not enabled (optionalhook)."""
from intranet.hookspecs import hookimpl

DESCRIPTION = "样例附言（测试插件）"


@hookimpl(optionalhook=True)
def sample_notes_remarks(year, department):
    return [f"附言：{department.name}{year}年笔记由样例附言插件复核。"]
