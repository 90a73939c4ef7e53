"""The 司法局's pages: closing a year, and the plugin's settings. Both are deployment-wide: every
司法局 user reads them, only a whole-tree one (or the 系统管理员) changes them."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intranet import audit
from intranet.access import deployment_settings_view
from intranet.extensions import db

from .. import service, settings
from ..forms import CloseYearForm, SettingsForm
from ..models import REPORTED, HoursEntry, YearClosing
from ..service import StudyError
from . import bp, flash_form


@bp.route("/years", methods=["GET", "POST"])
@deployment_settings_view
def years():
    form = CloseYearForm(year=date.today().year - 1)
    if form.validate_on_submit():
        try:
            closing = service.close_year(form.year.data, current_user)
            db.session.commit()
        except StudyError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        except IntegrityError:  # a parallel click closed it first
            db.session.rollback()
            flash(f"{form.year.data}年度已经锁定", "error")
        else:
            flash(f"{closing.year}年度已锁定，{closing.entries_locked}条学时记录已锁定", "success")
            return redirect(url_for(".years"))
    else:
        flash_form(form)
    closings = list(db.session.scalars(select(YearClosing).order_by(YearClosing.year.desc())))
    rows = db.session.execute(select(HoursEntry.year, HoursEntry.state, func.count(), func.sum(HoursEntry.minutes))
                              .group_by(HoursEntry.year, HoursEntry.state).order_by(HoursEntry.year.desc())).all()
    by_year: dict[int, dict] = {}
    for year, state, count, minutes in rows:
        by_year.setdefault(year, {})[state] = (count, int(minutes or 0))
    return render_template("law_study/years.html", form=form, closings=closings, by_year=by_year,
                           closed={c.year for c in closings}, reported=REPORTED)


TEXT_KEYS = ("laws",)


@bp.route("/settings", methods=["GET", "POST"])
@deployment_settings_view
def settings_view():
    current = {key: settings.get(key) for key in settings.DEFAULTS}
    form = SettingsForm(data={k: ("\n".join(v) if k in TEXT_KEYS else v) for k, v in current.items()})
    if form.validate_on_submit():
        new = {k: getattr(form, k).data for k in settings.DEFAULTS}
        new["laws"] = list(dict.fromkeys(n for n in (settings.normalise_law(line) for line in new["laws"].splitlines()) if n))
        if any(len(n) > 100 for n in new["laws"]):
            flash("法律名称每项不能超过100个字", "error")
        else:
            changed = {k: v for k, v in new.items() if v != current[k]}
            for key, value in changed.items():
                settings.put(key, value)
            if changed:
                audit.record("law_study.settings", "setting", "law_study", summary="修改学法设置",
                             before={k: current[k] for k in changed}, after=changed)
            db.session.commit()
            flash("设置已保存", "success")
            return redirect(url_for(".settings_view"))
    else:
        flash_form(form)
    return render_template("law_study/settings.html", form=form)
