"""The plugin's forms (Flask-WTF: CSRF on every POST)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, FloatField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from intranet.forms import DateField, DateTimeLocalField, IntegerField, db_id, options
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from . import settings
from .models import (AUDIENCES, DIFFICULTIES, EXEMPTION_REASONS, KINDS, PARTS, QUESTION_TYPES,
                     RESULT_STATUSES)

REQUIRED = "此项为必填项"


class ExamForm(FlaskForm):
    code = StringField("考试编号", validators=[DataRequired(REQUIRED), Length(max=40)])
    name = StringField("考试名称", validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField("考试类型", choices=list(KINDS))
    part = SelectField("科目（执法资格考试）", choices=options([("", "不分科目")] + [(p, p) for p in PARTS]))
    organiser_id = SelectField("组织单位", coerce=db_id)
    exam_date = DateField("考试日期", validators=[Optional()])
    opens_at = DateTimeLocalField("开放时间（在线考试）", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField("截止时间（在线考试）", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    full_mark = FloatField("满分", default=100, validators=[InputRequired(REQUIRED),
                                                          NumberRange(min=1, max=1000, message="满分应在1至1000之间")])
    pass_mark = FloatField("合格分", default=60, validators=[InputRequired(REQUIRED),
                                                           NumberRange(min=0, message="合格分不能为负数")])
    online = BooleanField("在线考试")
    audience = SelectField("应考范围", choices=options(AUDIENCES.items()))
    audience_department_id = SelectField("应考单位（应考范围为指定单位时）", coerce=db_id)
    max_attempts = IntegerField("考试次数上限（含补考）", validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=10, message="考试次数应在1至10之间")])
    self_registration = BooleanField("允许个人自行报名")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("保存")

    def validate_pass_mark(self, field):
        if field.data is not None and self.full_mark.data is not None and field.data > self.full_mark.data:
            raise ValidationError("合格分不能高于满分")

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        opens, closes = self.opens_at.data, self.closes_at.data
        if bool(opens) != bool(closes) and not (self.opens_at.errors or self.closes_at.errors):
            self.closes_at.errors = list(self.closes_at.errors) + ["开放时间与截止时间应同时填写"]
            ok = False
        elif opens and closes and closes <= opens:
            self.closes_at.errors = list(self.closes_at.errors) + ["截止时间应晚于开放时间"]
            ok = False
        if not self.exam_date.data and not self.opens_at.data and not self.opens_at.errors:
            self.exam_date.errors = list(self.exam_date.errors) + ["请填写考试日期，或在线考试的开放与截止时间"]
            return False
        return ok

    def validate_audience_department_id(self, field):
        if self.audience.data == "subtree" and not field.data:
            raise ValidationError("应考范围为指定单位时，请选择单位")


class RegisterForm(FlaskForm):
    people = SelectMultipleField("人员", coerce=db_id, validate_choice=False)
    status = SelectField("报名方式", choices=options([("预报名", "预报名"), ("已报名", "直接报名")]))
    submit = SubmitField("报名所选人员")


class ConfirmForm(FlaskForm):
    registrations = SelectMultipleField("报名", coerce=db_id, validate_choice=False)
    submit = SubmitField("确认所选预报名")


class ExemptionForm(FlaskForm):
    reason = SelectField("免考理由", choices=list(EXEMPTION_REASONS))
    note = TextAreaField("说明", validators=[Optional(), Length(max=500)])
    submit = SubmitField("提交免考申请")


class DecisionForm(FlaskForm):
    note = StringField("审批意见", validators=[Optional(), Length(max=500)])
    approve = SubmitField("批准")
    reject = SubmitField("驳回")


class ResultForm(FlaskForm):
    id_number = StringField("身份证号", validators=[DataRequired(REQUIRED), Length(max=18)])
    status = SelectField("参考状态", choices=list(RESULT_STATUSES))
    score = FloatField("成绩", validators=[Optional()])
    resit = BooleanField("补考（记为新的一次考试）")
    submit = SubmitField("保存成绩")


class QuestionForm(FlaskForm):
    qtype = SelectField("题型", choices=list(QUESTION_TYPES))
    law = StringField("所属法律", validators=[DataRequired(REQUIRED), Length(max=100)],
                      description="如《行政处罚法》")
    chapter = StringField("章节", validators=[Optional(), Length(max=100)])
    stem = TextAreaField("题干", validators=[DataRequired(REQUIRED), Length(max=2000)])
    option_a = StringField("选项A", validators=[Optional(), Length(max=500)])
    option_b = StringField("选项B", validators=[Optional(), Length(max=500)])
    option_c = StringField("选项C", validators=[Optional(), Length(max=500)])
    option_d = StringField("选项D", validators=[Optional(), Length(max=500)])
    answer = StringField("答案", validators=[DataRequired(REQUIRED), Length(max=8)],
                         description="单选填一个字母；多选填多个字母如 ABD；判断填“正确”或“错误”")
    explanation = TextAreaField("解析", validators=[Optional(), Length(max=2000)])
    difficulty = SelectField("难度", coerce=int, choices=options(DIFFICULTIES.items()), default=2)
    submit = SubmitField("保存")

    def option_values(self) -> list:
        return [self.option_a.data, self.option_b.data, self.option_c.data, self.option_d.data]


class QuestionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("题干关键词", validators=[Optional()])
    law = SelectField("所属法律", validators=[Optional()])
    qtype = SelectField("题型", choices=options([("", "全部题型")] + [(t, t) for t in QUESTION_TYPES]), validators=[Optional()])
    state = SelectField("状态", choices=options([("", "在用"), ("retired", "已停用"), ("all", "全部")]), validators=[Optional()])


class BlueprintForm(FlaskForm):
    time_limit_minutes = IntegerField("考试时长（分钟）", default=90, validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=600, message="考试时长应在1至600分钟之间")])
    submit = SubmitField("保存时长")


class RuleForm(FlaskForm):
    qtype = SelectField("题型", choices=list(QUESTION_TYPES))
    law = SelectField("所属法律", choices=[])
    count = IntegerField("题数", validators=[InputRequired(REQUIRED), NumberRange(min=1, max=200, message="题数应在1至200之间")])
    points = FloatField("每题分值", default=1, validators=[
        InputRequired(REQUIRED), NumberRange(min=0.5, max=100, message="每题分值应在0.5至100之间")])
    submit = SubmitField("添加规则")


class SettingsForm(FlaskForm):
    qualification_valid_years = IntegerField("执法资格考试合格有效年限（年）", validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=20, message="应在1至20年之间")])
    max_attempts = IntegerField("新建考试的默认考试次数上限（含补考）", validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=10, message="应在1至10次之间")])
    legal_qualification_exempt = BooleanField("持有法律职业资格者免考执法资格考试")
    reveal_answers = SelectField("交卷后何时向考生显示正确答案和解析", choices=options(settings.REVEAL_CHOICES),
                                 validators=[InputRequired(REQUIRED)])
    submit = SubmitField("保存设置")


class ImportForm(FlaskForm):
    file = FileField("Excel 文件（.xlsx）", validators=[FileRequired("请选择要导入的文件")])
    dry_run = BooleanField("只校验，不写入")
    submit = SubmitField("上传导入")


class ExamFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("名称或编号", validators=[Optional()])
    kind = SelectField("考试类型", choices=options([("", "全部类型")] + [(k, k) for k in KINDS]), validators=[Optional()])
    year = IntegerField("年度", validators=[Optional()])
