"""Printable documents: the card and the 公告注销 notice (HTML rendered by WeasyPrint, Noto CJK fonts)."""
from __future__ import annotations

import segno
from flask import current_app, has_request_context, render_template, request

from . import photos


def verification_url(number: str) -> str:
    """The public page the card's QR code opens (CERTIFICATES_PUBLIC_URL when the public host differs)."""
    from .views.public import verify_url  # not at the top: the views import this module
    base = current_app.config.get("CERTIFICATES_PUBLIC_URL")
    if base:
        return base.rstrip("/") + verify_url(number)
    if has_request_context():  # the host the bureau is using, as its browser sees it
        return request.url_root.rstrip("/") + verify_url(number)
    return verify_url(number, _external=True)


def qr_data_uri(url: str) -> str:
    return segno.make_qr(url, error="m").svg_data_uri(scale=4, border=1)


def card_html(cert) -> str:
    url = verification_url(cert.number)
    return render_template("certificates/pdf/card.html", cert=cert, url=url, qr=qr_data_uri(url),
                           photo=photos.data_uri(cert.photo_file))


def notice_html(notice, rows) -> str:
    return render_template("certificates/pdf/notice.html", notice=notice, rows=rows)


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: it is slow to load and only needed here
    return HTML(string=html, base_url=current_app.root_path).write_pdf()
