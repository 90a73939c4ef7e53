"""Evidence uploads: PDF, Office documents and images only, size-limited, stored under generated names.

The type is judged by the file's content as well as its name (a renamed .exe is refused); images go
through the core image intake (``intranet.images``: pixel size checked before decoding, metadata such
as GPS positions dropped, re-encoded). Files live in ``UPLOAD_FOLDER/law_study``.
"""
from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app

from intranet import audit
from intranet.extensions import db
from intranet.images import ImageRefused, normalise_image

from . import settings
from .models import EVIDENCE_ACTIVE, EVIDENCE_KINDS, Evidence
from .service import StudyError

MB = 1024 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # .doc .xls .ppt
ZIP = b"PK\x03\x04"                           # .docx .xlsx .pptx
DOCUMENTS = {
    "pdf": (b"%PDF-", "application/pdf"),
    "doc": (OLE, "application/msword"),
    "xls": (OLE, "application/vnd.ms-excel"),
    "ppt": (OLE, "application/vnd.ms-powerpoint"),
    "docx": (ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": (ZIP, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}
IMAGES = {"jpg", "jpeg", "png"}
ALLOWED = "PDF、Word、Excel、PowerPoint 或 JPG、PNG 图片"


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "law_study"
    path.mkdir(parents=True, exist_ok=True)
    return path


def checked(data: bytes, filename: str) -> tuple[bytes, str, str]:
    """(bytes to store, extension, mimetype) for an upload, or StudyError with the reason."""
    limit = int(settings.get("evidence_max_mb")) * MB
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not data:
        raise StudyError("上传的文件为空")
    if len(data) > limit:
        raise StudyError(f"佐证材料不能超过 {limit // MB} MB")
    if ext in IMAGES:
        try:
            stored, fmt = normalise_image(data, box=(2000, 2000), max_bytes=limit, what="佐证图片")
        except ImageRefused as exc:
            raise StudyError(str(exc)) from None
        return stored, "png" if fmt == "PNG" else "jpg", "image/png" if fmt == "PNG" else "image/jpeg"
    if ext not in DOCUMENTS:
        raise StudyError(f"文件类型不支持：{filename or '未命名文件'}。佐证材料应为{ALLOWED}")
    magic, mimetype = DOCUMENTS[ext]
    if not data.startswith(magic):
        raise StudyError(f"文件 {filename} 的内容与其扩展名 .{ext} 不符，请上传{ALLOWED}")
    return data, ext, mimetype


def save(storage, *, kind: str, department_id: int, user, session=None, entry=None) -> Evidence:
    """Check and store one upload for a session or a ledger entry (the caller commits)."""
    if kind not in EVIDENCE_KINDS:
        raise StudyError(f"材料类别应为：{'、'.join(EVIDENCE_KINDS)}")
    limit = int(settings.get("evidence_max_mb")) * MB
    filename = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    data, ext, mimetype = checked(storage.read(limit + 1), filename)
    name = f"{uuid.uuid4().hex}.{ext}"
    (folder() / name).write_bytes(data)
    evidence = Evidence(session_id=getattr(session, "id", None), entry_id=getattr(entry, "id", None),
                        department_id=department_id, kind=kind, original_name=filename, stored_name=name,
                        mimetype=mimetype, size=len(data), status=EVIDENCE_ACTIVE,
                        uploaded_by_id=getattr(user, "id", None))
    db.session.add(evidence)
    db.session.flush()
    audit.record("law_study.upload", "law_study_evidence", evidence.id, summary=f"上传佐证材料（{kind}）：{filename}",
                 after={"session": evidence.session_id, "entry": evidence.entry_id, "name": filename, "size": len(data)},
                 department_id=department_id)
    return evidence


def path_of(evidence: Evidence) -> Path | None:
    name = evidence.stored_name
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = folder() / name
    return path if path.is_file() else None
