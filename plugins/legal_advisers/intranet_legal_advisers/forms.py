"""The plugin's forms (CSRF through FlaskForm; the rules themselves live in service.py)."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from intranet.forms import DateField, IntegerField, db_id, options

from .models import ADVISER_KINDS, DECISIONS, FORMS, SERVICE_KINDS


def same(values):
    return options((v, v) for v in values)


class ActionForm(FlaskForm):
    """A bare POST (CSRF only)."""


class AdviserForm(FlaskForm):
    kind = SelectField("类型", choices=same(ADVISER_KINDS))
    name = StringField("名称或姓名（公职律师按人员档案）", validators=[Length(max=200, message="名称不能超过200个字")])
    code = StringField("执业证号（律师17位）或统一社会信用代码（律师事务所18位）",
                       validators=[Length(max=30, message="编号过长")])
    firm_id = SelectField("所属律师事务所（律师）", coerce=db_id, default=0)
    person_department_id = SelectField("公职律师所在单位", coerce=db_id, default=0)
    person_name = StringField("公职律师姓名（须为该单位在岗人员）", validators=[Length(max=50, message="姓名过长")])
    specialities = StringField("专长（用“、”分隔，如 合同审查、行政诉讼）",
                               validators=[Length(max=300, message="专长不能超过300个字")])
    phone = StringField("联系电话", validators=[Length(max=30, message="联系电话过长")])


class ContractForm(FlaskForm):
    number = StringField("合同编号", validators=[DataRequired("请填写合同编号"), Length(max=40, message="合同编号不能超过40个字")])
    department_id = SelectField("委托单位", coerce=db_id, validators=[DataRequired("请选择委托单位")])
    form = SelectField("顾问形式", choices=same(FORMS))
    adviser_ids = SelectMultipleField("法律顾问（法律顾问团可多选）", coerce=db_id, choices=[])
    start_on = DateField("开始日期", validators=[DataRequired("请填写开始日期")])
    end_on = DateField("结束日期", validators=[DataRequired("请填写结束日期")])
    fee = StringField("服务费（元）", default="0")
    scope = TextAreaField("服务范围", validators=[Length(max=2000, message="服务范围不能超过2000个字")])
    confidentiality = BooleanField("已约定保密条款")
    conflict_free = BooleanField("已约定利益冲突审查条款")
    signed_on = DateField("签订日期", validators=[Optional()])
    filed_on = DateField("备案日期", validators=[Optional()])
    override_reason = StringField("聘用考核不称职顾问的理由（仅司法局，确需聘用时填写）",
                                  validators=[Length(max=200, message="理由不能超过200个字")])
    scan = FileField("签字盖章的合同扫描件（PDF 或 JPG、PNG 图片，可稍后上传）")

    def fill_choices(self, departments, advisers) -> None:
        self.department_id.choices = options((d.id, d.tree_label) for d in departments)
        self.adviser_ids.choices = options((a.id, f"{a.label}（{a.kind}）") for a in advisers)


class ScanForm(FlaskForm):
    scan = FileField("合同扫描件")


class TerminateForm(FlaskForm):
    reason = StringField("终止原因", validators=[DataRequired("请填写终止原因"), Length(max=200, message="终止原因不能超过200个字")])
    ended_on = DateField("终止日期", default=date.today, validators=[DataRequired("请填写终止日期")])


class ServiceForm(FlaskForm):
    served_on = DateField("日期", default=date.today, validators=[DataRequired("请填写服务日期")])
    kind = SelectField("服务类型", choices=same(SERVICE_KINDS))
    matter = StringField("事项", validators=[DataRequired("请填写服务事项"), Length(max=300, message="事项不能超过300个字")])
    hours = StringField("用时（小时）", default="1")
    outcome = StringField("结果", validators=[Length(max=500, message="结果不能超过500个字")])
    lecture_ref = SelectField("关联的学法活动（法治讲座）", choices=options([("", "（不关联）")]), validate_choice=False, default="")
    attachment = FileField("附件（PDF 或 JPG、PNG 图片，可不传）")


class RatingForm(FlaskForm):
    rating = SelectField("评价", choices=options([(str(n), f"{n}分") for n in (5, 4, 3, 2, 1)]), validate_choice=False)
    comment = StringField("评价意见", validators=[Length(max=300, message="评价意见不能超过300个字")])


class FileForm(FlaskForm):
    attachment = FileField("附件")


class AssessmentForm(FlaskForm):
    year = IntegerField("考核年度", validators=[InputRequired("请填写考核年度"), NumberRange(2000, 2100, "年度无效")])
    veto = BooleanField("存在一票否决事项（泄露秘密、利益冲突、违法违纪等），直接评为不称职")
    veto_reason = StringField("否决事由", validators=[Length(max=200, message="否决事由不能超过200个字")])
    decision = SelectField("考核决定", choices=same(DECISIONS))
    note = TextAreaField("考核意见", validators=[Length(max=2000, message="考核意见不能超过2000个字")])


class SettingsForm(FlaskForm):
    dimensions = TextAreaField("考核项目（每行“名称:满分”）", validators=[DataRequired("请设置考核项目")])
    client_weight = IntegerField("委托单位评分所占比例（%，其余为顾问自评）",
                                 validators=[InputRequired("请填写比例"), NumberRange(0, 100, "比例应为0到100")])
    excellent = IntegerField("优秀（总分不低于）", validators=[InputRequired("请填写分数线"), NumberRange(0, 100, "分数线应为0到100")])
    competent = IntegerField("称职（总分不低于）", validators=[InputRequired("请填写分数线"), NumberRange(0, 100, "分数线应为0到100")])
    basic = IntegerField("基本称职（总分不低于）", validators=[InputRequired("请填写分数线"), NumberRange(0, 100, "分数线应为0到100")])
    filing_days = IntegerField("合同签订后应在几天内备案", validators=[InputRequired("请填写天数"), NumberRange(1, 365, "天数应为1到365")])
