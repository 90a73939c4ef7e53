"""Uploads: a contract's signed scan and a service's attachments, PDF or JPG/PNG only, judged by
content as well as name, images re-encoded without metadata, stored under generated names in
``UPLOAD_FOLDER/legal_advisers``."""
from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app

from intranet.images import ImageRefused, normalise_image

from . import settings
from .service import AdviserError

MB = 1024 * 1024
IMAGES = {"jpg", "jpeg", "png"}
ALLOWED = "PDF 文件或 JPG、PNG 图片"


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "legal_advisers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def limit() -> int:
    return int(settings.get("scan_max_mb")) * MB


def checked(data: bytes, filename: str) -> tuple[bytes, str, str]:
    """(bytes to store, extension, mimetype), or AdviserError with the reason."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not data:
        raise AdviserError("上传的文件为空")
    if len(data) > limit():
        raise AdviserError(f"上传的文件不能超过 {limit() // MB} MB")
    if ext in IMAGES:
        try:
            stored, fmt = normalise_image(data, box=(2400, 2400), max_bytes=limit(), max_input=(8000, 8000),
                                          what="扫描件")
        except ImageRefused as exc:
            raise AdviserError(str(exc)) from None
        return stored, ("png" if fmt == "PNG" else "jpg"), ("image/png" if fmt == "PNG" else "image/jpeg")
    if ext != "pdf":
        raise AdviserError(f"文件类型不支持：{filename or '未命名文件'}。请上传{ALLOWED}")
    if not data.startswith(b"%PDF-"):
        raise AdviserError(f"文件 {filename} 的内容不是 PDF，请上传{ALLOWED}")
    return data, "pdf", "application/pdf"


def store(storage) -> tuple[str, str, str, int]:
    """Check and write one upload: (original name, stored name, mimetype, size)."""
    filename = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    data, ext, mimetype = checked(storage.read(limit() + 1), filename)
    name = f"{uuid.uuid4().hex}.{ext}"
    (folder() / name).write_bytes(data)
    return filename, name, mimetype, len(data)


def path_of(stored_name: str) -> Path | None:
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        return None
    path = folder() / stored_name
    return path if path.is_file() else None
