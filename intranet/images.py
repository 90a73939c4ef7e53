"""The one way the system takes in an uploaded image (photos): checked before decoding, then normalised.

Pillow's ``Image.open`` reads only the header, so the pixel size is known before any pixel is
decoded: a 48 KB PNG that declares 20000×20000 pixels is refused without using 1.2 GB of memory.
An accepted image is decoded, turned upright (EXIF orientation), converted to RGB, scaled down to
fit ``box`` and re-encoded; metadata (EXIF with GPS position, comments, colour profiles) is dropped.
"""
from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MB = 1024 * 1024
NAMES = {"JPEG": "JPG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WEBP"}


class ImageRefused(ValueError):
    """An uploaded image was refused; ``str(exc)`` is the Chinese message for the user."""


def normalise_image(data: bytes, *, box: tuple[int, int] = (600, 800), max_bytes: int = 5 * MB,
                    max_input: tuple[int, int] = (4000, 4000), formats: tuple[str, ...] = ("JPEG", "PNG"),
                    output: str | None = None, what: str = "图片") -> tuple[bytes, str]:
    """Check and normalise an uploaded image; return ``(encoded bytes, format)``.

    ``formats`` are the accepted input formats (Pillow names); ``output`` is the stored format
    (``None``: the input's, "JPEG" or "PNG"); ``what`` names the image in messages (e.g. "照片").
    """
    names = [NAMES.get(f, f) for f in formats]
    kinds = "、".join(names[:-1]) + " 或 " + names[-1] if len(names) > 1 else names[0]
    if not data:
        raise ImageRefused(f"{what}文件为空")
    if len(data) > max_bytes:
        raise ImageRefused(f"{what}不能超过 {max_bytes / MB:g} MB")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(formats))  # no other decoder is tried
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused(f"{what}像素尺寸过大，请使用不超过 {max_input[0]}×{max_input[1]} 像素的图片") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ImageRefused(f"{what}应为 {kinds} 图片") from None
    with image:
        if image.format not in formats:
            raise ImageRefused(f"{what}应为 {kinds} 图片")
        width, height = image.size
        if width < 1 or height < 1 or width > max_input[0] or height > max_input[1]:
            raise ImageRefused(f"{what}像素尺寸过大（{width}×{height}），请使用不超过 "
                               f"{max_input[0]}×{max_input[1]} 像素的图片")
        fmt = output or image.format
        try:
            if image.format == "JPEG":
                image.draft("RGB", (box[0] * 2, box[1] * 2))  # decode a JPEG at a reduced scale: faster
            upright = ImageOps.exif_transpose(image)
            rgb = _to_rgb(upright)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise ImageRefused(f"{what}文件已损坏，无法读取") from None
    rgb.thumbnail(box, Image.Resampling.LANCZOS)
    rgb.info = {}  # no EXIF, comments or colour profile in the stored file
    out = io.BytesIO()
    if fmt == "JPEG":
        rgb.save(out, "JPEG", quality=88, optimize=True)
    else:
        rgb.save(out, "PNG", optimize=True)
        fmt = "PNG"
    return out.getvalue(), fmt


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB; transparent parts become white (a photo on a card has a white background)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
