"""Printable documents: the card and the 公告注销 notice (HTML rendered by WeasyPrint, Noto CJK fonts)."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import current_app, has_request_context, render_template, request

from . import photos, settings


def public_base() -> str:
    """The public address the QR codes encode: the setting 公开查询网址, else CERTIFICATES_PUBLIC_URL."""
    return (settings.get("public_url") or current_app.config.get("CERTIFICATES_PUBLIC_URL") or "").strip()


def verification_url(number: str) -> str:
    """The public page the card's QR code opens (the public address when set, else the current host)."""
    from .views.public import verify_url  # not at the top: the views import this module
    base = public_base()
    if base:
        return base.rstrip("/") + verify_url(number)
    if has_request_context():  # the host the bureau is using, as its browser sees it
        return request.url_root.rstrip("/") + verify_url(number)
    return verify_url(number, _external=True)


def address_warning(url: str) -> str | None:
    """Why a QR code with ``url`` would not open for the public (None: it would, as far as we can tell)."""
    host = urlsplit(url).hostname or ""
    if not public_base():
        why = "尚未设置“公开查询网址”，二维码使用的是当前访问地址"
    else:
        why = "“公开查询网址”"
    if not host:
        return f"{why}，无法识别其中的主机名，群众扫码可能无法打开。请在行政执法证设置中填写公开查询网址。"
    if intranet_only(host):
        return (f"{why}（{host}）是本机或内网地址，群众用手机扫码无法打开查验页面。"
                "请在行政执法证设置中填写面向公众的查询网址后再打印。")
    if not public_base():
        return f"{why}（{host}），请确认群众可以从互联网访问该地址，或在行政执法证设置中填写公开查询网址。"
    return None


def intranet_only(host: str) -> bool:
    """Loopback, private or link-local addresses and names that only resolve inside an intranet."""
    host = host.strip("[]").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith((".localhost", ".local", ".lan", ".internal",
                                                                          ".intranet", ".corp", ".home", ".localdomain"))
    return not ip.is_global


def qr_data_uri(url: str) -> str:
    import segno   # here, not at start: every command and worker would pay for it
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
