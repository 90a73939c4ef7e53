"""The plugin's forms."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, SelectField, SelectMultipleField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from intranet.forms import DateField, IntegerField, db_id, options

from . import settings
from .models import EVIDENCE_KINDS, HELD, KINDS, PLANNED, SPEAKER_TYPES
from .service import CLAIM_SOURCES


def same(values):
    """Options whose value is their label."""
    return options((v, v) for v in values)


class ActionForm(FlaskForm):
    """A bare POST (CSRF only): mark held, cancel, approve."""


class SessionForm(FlaskForm):
    department_id = SelectField("单位", coerce=db_id, validators=[DataRequired("请选择单位")])
    kind = SelectField("学法类型", choices=same(KINDS))
    held_on = DateField("日期", default=date.today, validators=[DataRequired("请输入有效日期")])
    start_time = TimeField("开始时间", validators=[Optional()])
    duration_minutes = IntegerField("时长（分钟）", default=60,
                                    validators=[InputRequired("请填写时长"),
                                                NumberRange(1, 480, "时长应在1分钟到8小时（480分钟）之间")])
    topic = StringField("学习主题", validators=[DataRequired("请填写学习主题"), Length(max=200, message="主题不能超过200个字")])
    laws = SelectMultipleField("学习法律（法律目录）", choices=[], validate_choice=False)
    other_laws = StringField("其他法律（不在目录中，用“、”分隔，将标记待核）",
                             validators=[Length(max=500, message="其他法律不能超过500个字")])
    speaker = StringField("主讲人", validators=[Length(max=100, message="主讲人不能超过100个字")])
    speaker_minutes = IntegerField("主讲时长（分钟，可不填）", validators=[Optional(), NumberRange(1, 480, "主讲时长应在1到480分钟之间")])
    speaker_type = SelectField("主讲人类型", choices=options([("", "（未填）")] + [(t, t) for t in SPEAKER_TYPES]))
    notes = TextAreaField("备注", validators=[Length(max=2000, message="备注不能超过2000个字")])
    status = SelectField("状态", choices=same([PLANNED, HELD]))
    plan_item_id = SelectField("对应的年度学法计划事项", coerce=db_id, default=0)

    def fill_choices(self, departments, plan_items=()) -> None:
        self.department_id.choices = options((d.id, d.tree_label) for d in departments)
        self.laws.choices = same(settings.get("laws"))
        self.plan_item_id.choices = options([(0, "（不对应计划事项）")] +
                                            [(i.id, f"{i.department.name} {i.label}") for i in plan_items])


class PlanItemForm(FlaskForm):
    department_id = SelectField("单位", coerce=db_id, validators=[DataRequired("请选择单位")])
    year = IntegerField("年度", validators=[InputRequired("请填写年度"), NumberRange(2000, 2100, "年度无效")])
    month = IntegerField("月份", validators=[InputRequired("请填写月份"), NumberRange(1, 12, "月份应为1到12")])
    kind = SelectField("学法类型", choices=same(KINDS))
    topic = StringField("学习主题", validators=[DataRequired("请填写计划学习主题"), Length(max=200, message="主题不能超过200个字")])
    laws = StringField("学习法律（用“、”分隔）", validators=[Length(max=500, message="学习法律不能超过500个字")])


class ClaimForm(FlaskForm):
    source = SelectField("学时来源", choices=same(CLAIM_SOURCES))
    day = DateField("学习日期", default=date.today, validators=[DataRequired("请输入有效日期")])
    law = StringField("所学法律", validators=[Length(max=100, message="法律名称不能超过100个字")])
    hours = DecimalField("学时", places=1, default=1,
                         validators=[InputRequired("请填写学时"), NumberRange(0.5, 8, "学时应在0.5到8之间")])
    evidence = StringField("学习内容与佐证（如笔记、培训证书编号）",
                           validators=[Length(max=500, message="佐证说明不能超过500个字")])
    file = FileField("佐证文件（可选：培训证书、学习笔记的 PDF 或照片）")


class EvidenceForm(FlaskForm):
    kind = SelectField("材料类别", choices=same(EVIDENCE_KINDS))
    file = FileField("文件（PDF、Office 文档或 JPG、PNG 图片）", validators=[FileRequired("请选择要上传的文件")])


class ReturnForm(FlaskForm):
    reason = StringField("退回原因", validators=[DataRequired("退回时请填写原因"),
                                                 Length(max=200, message="退回原因不能超过200个字")])


class CloseYearForm(FlaskForm):
    year = IntegerField("年度", validators=[InputRequired("请填写年度"), NumberRange(2000, 2100, "年度无效")])


class SettingsForm(FlaskForm):
    person_hours_target = IntegerField(settings.LABELS["person_hours_target"], validators=[NumberRange(1, 500, "应在1到500之间")])
    enforcement_hours_target = IntegerField(settings.LABELS["enforcement_hours_target"],
                                            validators=[NumberRange(0, 500, "应在0到500之间")])
    pre_meeting_target = IntegerField(settings.LABELS["pre_meeting_target"], validators=[NumberRange(0, 100, "应在0到100之间")])
    lecture_target = IntegerField(settings.LABELS["lecture_target"], validators=[NumberRange(0, 100, "应在0到100之间")])
    self_study_cap_hours = IntegerField(settings.LABELS["self_study_cap_hours"], validators=[NumberRange(0, 500, "应在0到500之间")])
    external_cap_hours = IntegerField(settings.LABELS["external_cap_hours"], validators=[NumberRange(0, 500, "应在0到500之间")])
    exam_pass_hours = IntegerField(settings.LABELS["exam_pass_hours"], validators=[NumberRange(0, 24, "应在0到24之间")])
    exam_cap_hours = IntegerField(settings.LABELS["exam_cap_hours"], validators=[NumberRange(0, 500, "应在0到500之间")])
    day_cap_hours = IntegerField(settings.LABELS["day_cap_hours"], validators=[NumberRange(1, 24, "应在1到24之间")])
    prerequisite_months = IntegerField(settings.LABELS["prerequisite_months"], validators=[NumberRange(1, 60, "应在1到60之间")])
    prerequisite_hours = IntegerField(settings.LABELS["prerequisite_hours"], validators=[NumberRange(0, 500, "应在0到500之间")])
    approval_flow = BooleanField(settings.LABELS["approval_flow"])
    submit_days_ahead = IntegerField(settings.LABELS["submit_days_ahead"], validators=[NumberRange(0, 60, "应在0到60之间")])
    speaker_max_minutes = IntegerField(settings.LABELS["speaker_max_minutes"], validators=[NumberRange(1, 480, "应在1到480之间")])
    evidence_max_mb = IntegerField(settings.LABELS["evidence_max_mb"], validators=[NumberRange(1, 20, "应在1到20之间")])
    plan_due_month = IntegerField(settings.LABELS["plan_due_month"], validators=[NumberRange(1, 12, "应在1到12之间")])
    laws = TextAreaField(settings.LABELS["laws"], validators=[DataRequired("法律目录不能为空")])
