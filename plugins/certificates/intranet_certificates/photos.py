"""Holder photos: checked and normalised by the core image intake (size, pixels, metadata), stored under
the instance's uploads with a generated name; the original name is kept."""
from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from intranet.images import ImageRefused, normalise_image

MAX_BYTES = 2 * 1024 * 1024
MAX_INPUT = (4000, 4000)   # pixels of an uploaded photo
STORED_BOX = (600, 800)    # the stored photo fits in this (the card prints it 20×27 mm, ~750 dpi at most)
EXTENSIONS = {"JPEG": "jpg", "PNG": "png"}


class PhotoError(ValueError):
    pass


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "certificates"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Photo:
    """A checked, normalised photo not yet on disk: ``name`` is the generated file name it will have."""
    name: str
    original: str
    data: bytes

    def store(self) -> None:
        (folder() / self.name).write_bytes(self.data)


def prepare_photo(storage) -> Photo:
    """Check and normalise an uploaded photo, without writing it (refused: PhotoError)."""
    data = storage.read(MAX_BYTES + 1)
    try:
        stored, kind = normalise_image(data, box=STORED_BOX, max_bytes=MAX_BYTES, max_input=MAX_INPUT, what="照片")
    except ImageRefused as exc:
        raise PhotoError(str(exc)) from None
    return Photo(f"{uuid.uuid4().hex}.{EXTENSIONS[kind]}", (storage.filename or "")[:200], stored)


def save_photo(storage) -> tuple[str, str]:
    """Check, normalise and store an uploaded photo; return (generated file name, original file name)."""
    photo = prepare_photo(storage)
    photo.store()
    return photo.name, photo.original


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
