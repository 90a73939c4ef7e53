"""Holder photos: stored under the instance's uploads with a generated name; the original name is kept."""
from __future__ import annotations

import base64
import io
import uuid
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}


class PhotoError(ValueError):
    pass


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "certificates"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_photo(storage) -> tuple[str, str]:
    """Check and store an uploaded photo; return (generated file name, original file name)."""
    data = storage.read(MAX_BYTES + 1)
    if not data:
        raise PhotoError("照片文件为空")
    if len(data) > MAX_BYTES:
        raise PhotoError("照片不能超过 2 MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise PhotoError("照片应为 JPG 或 PNG 图片") from None
    if kind not in FORMATS:
        raise PhotoError("照片应为 JPG 或 PNG 图片")
    name = f"{uuid.uuid4().hex}.{FORMATS[kind][0]}"
    (folder() / name).write_bytes(data)
    return name, (storage.filename or "")[:200]


def photo_path(name: str) -> Path | None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = folder() / name
    return path if path.is_file() else None


def mimetype(name: str) -> str:
    return "image/png" if name.endswith(".png") else "image/jpeg"


def data_uri(name: str) -> str:
    path = photo_path(name)
    if path is None:
        return ""
    return f"data:{mimetype(name)};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
