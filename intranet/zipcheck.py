"""Checks on an untrusted zip before anything in it is expanded (spreadsheets, backups).

Only the zip directory is read: ``zipfile`` never expands a member beyond the size its
directory declares, so checking the declared sizes bounds what reading the members can cost.
"""
from __future__ import annotations

import zipfile

MB = 1024 * 1024
RATIO_FROM_BYTES = MB  # small members may compress very well and are harmless


def check_members(archive: zipfile.ZipFile, *, max_total: int, max_member: int, max_ratio: int,
                  max_count: int | None = None, exempt: tuple[str, ...] = (), error=ValueError,
                  too_big_advice: str = "") -> None:
    """Raise ``error`` (a Chinese message) when the zip has too many members, a member over
    ``max_member`` bytes (``exempt`` members excepted), a member over 1 MB expanding more than
    ``max_ratio`` times, or more than ``max_total`` bytes in all once expanded."""
    infos = archive.infolist()
    if max_count is not None and len(infos) > max_count:
        raise error(f"文件中的条目过多（超过 {max_count} 个），可能是恶意构造的文件，已拒绝")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FROM_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
            raise error(f"文件中的“{info.filename}”压缩比异常（解压后超过压缩时的 {max_ratio} 倍），"
                        "可能是恶意构造的文件，已拒绝")
        if info.filename not in exempt and info.file_size > max_member:
            raise error(f"文件中的“{info.filename}”过大（解压后超过 {max_member // MB} MB），已拒绝")
    if total > max_total:
        raise error(f"文件解压后过大（超过 {max_total // MB} MB）{too_big_advice}")
