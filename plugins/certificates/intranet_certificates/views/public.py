"""Public pages, no login: verify a card by number or QR (亮证执法), and the published roster.

Never an ID number here: name, unit, number, 执法类别/区域, validity and status only.
"""
from __future__ import annotations

from functools import cache

from flask import current_app, has_request_context, jsonify, redirect, render_template, request, url_for
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from intranet.access import public_view
from intranet.extensions import db, limiter

from .. import settings
from ..forms import RosterSearchForm, VerifyForm
from ..models import Certificate
from . import public_bp
from .certificates import roster_page

STATUS_TEXT = {
    "有效": "证件有效，持证人可在证件载明的执法类别和区域内从事行政执法活动。",
    "暂扣": "证件已被暂扣，持证人暂停行政执法资格。",
    "收回": "证件已被收回，持证人不得从事行政执法活动。",
    "注销": "证件已注销，持证人不得从事行政执法活动。",
    "过期": "证件已超过有效期，持证人不得从事行政执法活动。",
}


def verify_limit() -> str:
    return current_app.config.get("CERTIFICATES_VERIFY_LIMIT", "60 per minute")


# A card that has ended is answered without its holder's name, so walking the sequential numbers
# does not list the people whose cards were withdrawn, cancelled or ran out.
NAMELESS_STATUSES = ("收回", "注销", "过期")


def public_record(cert: Certificate) -> dict:
    status = cert.effective_status
    holder = None if status in NAMELESS_STATUSES else cert.person.name
    return {"number": cert.number, "status": status, "valid": status == "有效", "holder": holder,
            "unit": cert.department.name, "category": cert.category, "region": cert.region,
            "valid_until": cert.valid_until.isoformat(), "issuing_authority": cert.issuing_authority}


MAX_NUMBER = Certificate.number.type.length


def _could_be_ours(number: str) -> bool:
    """Text that cannot be a number of ours (too long, control characters such as NUL, which
    PostgreSQL refuses) is not looked up: it is simply not found."""
    return 0 < len(number) <= MAX_NUMBER and number.isprintable()


@public_bp.app_template_global("verify_url")
def verify_url(number: str, **kwargs) -> str:
    """The public page for ``number``: /verify/<number>, or /verify?number=… when the number has
    characters a path segment cannot carry as they are (older numbers may contain "/" and such)."""
    endpoint = "certificates_public.verify" if settings.url_safe(number) else "certificates_public.verify_form"
    if not has_request_context() and not kwargs:  # e.g. a card rendered from the command line
        return current_app.url_map.bind("").build(endpoint, {"number": number})
    return url_for(endpoint, number=number, **kwargs)


@public_bp.route("/verify", methods=["GET"])
@public_view
@limiter.limit(verify_limit)
def verify_form():
    form = VerifyForm(request.args)
    if request.args and form.validate():
        number = form.number.data.strip()
        if settings.url_safe(number):
            return redirect(url_for(".verify", number=number))
        return _answer(number)
    return render_template("certificates/public/verify.html", form=form, submitted=bool(request.args))


@public_bp.route("/verify/<path:number>", methods=["GET"])  # path: printed QR codes of numbers with "/"
@public_view
@limiter.limit(verify_limit)
def verify(number):
    return _answer(number.strip())


@cache
def _by_number():
    return (select(Certificate).where(Certificate.number == bindparam("number"))
            .options(joinedload(Certificate.person), joinedload(Certificate.department)))


def _answer(number: str):
    cert = None
    if _could_be_ours(number):
        cert = db.session.scalar(_by_number(), {"number": number})
    as_json = request.args.get("format") == "json"
    if cert is None:
        shown = number if len(number) <= MAX_NUMBER else number[:MAX_NUMBER] + "…"
        message = f"未查询到编号为 {shown} 的行政执法证，请核对证件编号。如对执法人员身份有疑问，请向当地司法行政部门反映。"
        if as_json:
            return jsonify({"error": message, "status": 404, "number": number}), 404
        return render_template("certificates/public/not_found.html", number=number, message=message,
                               form=VerifyForm(formdata=None)), 404
    record = public_record(cert)
    if as_json:
        return jsonify(record)
    return render_template("certificates/public/result.html", record=record, text=STATUS_TEXT[record["status"]])


@public_bp.route("/roster", methods=["GET"])
@public_view
@limiter.limit(verify_limit)
def roster():
    form = RosterSearchForm(request.args)
    q = form.q.data if form.validate() else None
    page = roster_page(q)
    return render_template("certificates/public/roster.html", page=page, form=form)
