"""The 司法局's settings page for the plugin's configurable rules."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, url_for

from intranet import audit
from intranet.access import deployment_settings_view
from intranet.extensions import db

from .. import pdf, settings
from ..forms import SettingsForm
from . import bp
from .helpers import flash_errors

LIST_KEYS = ("categories", "versions")


def _lines(text: str) -> list[str]:
    return list(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))


@bp.route("/settings", methods=["GET", "POST"])
@deployment_settings_view
def settings_view():
    current = {key: settings.get(key) for key in settings.DEFAULTS}
    form = SettingsForm(data={k: ("\n".join(v) if k in LIST_KEYS else v) for k, v in current.items()})
    if form.validate_on_submit():
        new = {k: getattr(form, k).data for k in settings.DEFAULTS}
        for key in LIST_KEYS:
            new[key] = _lines(new[key])
        for key in ("issuing_authority", "public_url", "default_region"):
            new[key] = (new[key] or "").strip()
        problems = []
        try:
            settings.check_pattern(new["number_pattern"])
        except settings.PatternError as exc:
            problems.append(str(exc))
        if new["public_url"]:
            parts = urlsplit(new["public_url"])
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
                problems.append("公开查询网址应为 http:// 或 https:// 开头的网址，如 https://sfj.example.gov.cn")
        if any(len(c) > 30 for c in new["categories"]):
            problems.append("执法类别每项不能超过30个字")
        if new["default_version"] not in new["versions"]:
            problems.append("默认证件版本必须是证件版本之一")
        if problems:
            for p in problems:
                flash(p, "error")
        else:
            changed = {k: v for k, v in new.items() if v != current[k]}
            for key, value in changed.items():
                settings.put(key, value)
            if changed:
                audit.record("certificates.settings", "setting", "certificates", summary="修改行政执法证设置",
                             before={k: current[k] for k in changed}, after=changed)
            db.session.commit()
            flash("设置已保存", "success")
            return redirect(url_for(".settings_view"))
    else:
        flash_errors(form)
    example = None
    try:
        example = settings.describe_pattern(current["number_pattern"])
    except settings.PatternError:
        pass
    return render_template("certificates/settings.html", form=form, example=example,
                           address_warning=pdf.address_warning(pdf.verification_url("0")))
