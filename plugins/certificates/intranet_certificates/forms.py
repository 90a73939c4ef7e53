"""Forms (Flask-WTF, CSRF on every POST form; the GET search forms have no token)."""
from __future__ import annotations

from datetime import date
from functools import partial

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from intranet.forms import DateField as _DateField
from intranet.forms import IntegerField, db_id, options
from .models import DECISIONS, SUBJECT_KINDS
from .states import STATUSES


class DateField(_DateField):
    """The core's plausible-date field (a card's dates are computed from it plus years)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_value_message", "请输入有效日期（如 2025-03-01）")
        super().__init__(*args, **kwargs)


IdSelect = partial(SelectField, coerce=db_id, invalid_value_message="请选择", invalid_choice_message="选项无效，请重新选择")
ChoiceSelect = partial(SelectField, invalid_choice_message="选项无效，请重新选择")
Int = partial(IntegerField, invalid_value_message="请输入整数")
PHOTO = FileAllowed(["jpg", "jpeg", "png"], "照片应为 JPG 或 PNG 图片")


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("证件编号或姓名", validators=[Optional(), Length(max=50)])
    status = ChoiceSelect("状态", choices=options([("", "全部状态")] + [(s, s) for s in STATUSES]), validators=[Optional()])
    category = ChoiceSelect("执法类别", validators=[Optional()])


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False

    number = StringField("证件编号", validators=[DataRequired("请输入证件编号"), Length(max=40, message="证件编号过长")])


class RosterSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("姓名、单位或证件编号", validators=[Optional(), Length(max=50)])


class DepartmentPickForm(FlaskForm):
    class Meta:
        csrf = False

    department_id = IdSelect("单位（已确认的执法主体）", validators=[Optional()])


class ApplicationForm(FlaskForm):
    person_id = IdSelect("申领人员", validators=[DataRequired("请选择申领人员")])
    category = ChoiceSelect("执法类别", validators=[DataRequired("请选择执法类别")])
    region = StringField("执法区域", validators=[DataRequired("请填写执法区域"), Length(max=100, message="执法区域不能超过100个字")])
    photo = FileField("证件照片（JPG/PNG，2 MB 以内）", validators=[PHOTO])
    note = TextAreaField("申领说明", validators=[Length(max=1000, message="说明不能超过1000个字")])


class ApproveForm(FlaskForm):
    note = TextAreaField("审核意见", validators=[Length(max=1000, message="审核意见不能超过1000个字")])
    manual_check = BooleanField("已核实培训及资格考试合格（无插件提供考试结果时由审核人核实）")
    manual_note = StringField("核实依据", validators=[Length(max=500, message="核实依据不能超过500个字")])


class RejectForm(FlaskForm):
    reason = TextAreaField("退回原因", validators=[DataRequired("请填写退回原因"), Length(max=1000, message="退回原因不能超过1000个字")])


class WithdrawForm(FlaskForm):
    """撤回 a pending application (CSRF only)."""


class IssueForm(FlaskForm):
    # A number entered by hand must fit the current pattern (checked when issuing, lifecycle.issue).
    number = StringField("证件编号（留空则按编号规则自动生成；手工填写须符合现行编号规则）",
                         validators=[Optional(), Length(max=40, message="证件编号不能超过40个字符")])
    issued_on = DateField("发证日期", default=date.today, validators=[DataRequired("请填写发证日期")])
    valid_until = DateField("有效期至（留空则按配置的有效年限）", validators=[Optional()])
    version = ChoiceSelect("证件版本", validators=[DataRequired("请选择证件版本")])
    authority = StringField("发证机关", validators=[DataRequired("请填写发证机关"), Length(max=100, message="发证机关不能超过100个字")])


class ActionForm(FlaskForm):
    reason = TextAreaField("原因", validators=[DataRequired("请填写原因"), Length(max=1000, message="原因不能超过1000个字")])
    happened_on = DateField("日期", default=date.today, validators=[DataRequired("请填写日期")])


class RenewForm(ActionForm):
    valid_until = DateField("新的有效期至", validators=[DataRequired("请填写新的有效期至")])


class PhotoForm(FlaskForm):
    photo = FileField("证件照片（JPG/PNG，2 MB 以内）", validators=[DataRequired("请选择照片文件"), PHOTO])


class EnforcementForm(FlaskForm):
    last_enforcement_on = DateField("最近执法日期", validators=[DataRequired("请填写最近执法日期")])


class NoticeForm(FlaskForm):
    numbers = TextAreaField("证件编号（每行一个）", validators=[DataRequired("请填写要公告注销的证件编号")])
    reason = StringField("注销原因", validators=[DataRequired("请填写注销原因"), Length(max=200, message="原因不能超过200个字")])
    title = StringField("公告标题", default="关于注销行政执法证件的公告",
                        validators=[DataRequired("请填写公告标题"), Length(max=200, message="标题不能超过200个字")])


class SubjectForm(FlaskForm):
    department_id = IdSelect("单位", validators=[DataRequired("请选择单位")])
    kind = ChoiceSelect("主体类型", choices=options((k, k) for k in SUBJECT_KINDS), validators=[DataRequired("请选择主体类型")])
    confirmed_on = DateField("确认日期", default=date.today, validators=[DataRequired("请填写确认日期")])
    basis = StringField("确认依据（文件或文号）", validators=[Length(max=200, message="确认依据不能超过200个字")])
    active = BooleanField("有效", default=True)


class CampaignForm(FlaskForm):
    name = StringField("清理活动名称", validators=[DataRequired("请填写名称"), Length(max=200, message="名称不能超过200个字")])
    department_id = IdSelect("清理范围（单位及其下级）", validators=[DataRequired("请选择单位")])
    note = TextAreaField("说明", validators=[Length(max=2000, message="说明不能超过2000个字")])


class DecisionForm(FlaskForm):
    number = HiddenField("证件编号", validators=[DataRequired("缺少证件编号")])
    decision = ChoiceSelect("处理结果", choices=options((d, d) for d in DECISIONS), validators=[DataRequired("请选择处理结果")])
    reason = StringField("原因", validators=[DataRequired("请填写处理原因"), Length(max=500, message="原因不能超过500个字")])


class GroupDecisionForm(FlaskForm):
    """One decision for every undecided candidate of a group (in the user's scope)."""
    group = ChoiceSelect("情形", validators=[DataRequired("请选择情形")])
    decision = ChoiceSelect("处理结果", choices=options((d, d) for d in DECISIONS), validators=[DataRequired("请选择处理结果")])
    reason = StringField("原因", validators=[DataRequired("请填写处理原因"), Length(max=500, message="原因不能超过500个字")])


class CandidateFilterForm(FlaskForm):
    class Meta:
        csrf = False

    group = ChoiceSelect("分组", validators=[Optional()])
    decision = ChoiceSelect("处理结果", choices=options([("", "全部处理结果")] + [(d, d) for d in DECISIONS + ["未处理"]]),
                            validators=[Optional()])


class ConfirmForm(FlaskForm):
    """Confirm every decided candidate in the campaign (optionally of one group); ``sure`` once the counts were shown."""
    group = HiddenField()
    sure = HiddenField()


class CloseForm(FlaskForm):
    """结束清理; ``sure`` once the figures were shown."""
    sure = HiddenField()


class SettingsForm(FlaskForm):
    region_code = StringField("地区代码（6位）", validators=[DataRequired("请填写地区代码"),
                                                       Regexp(r"^\d{6}$", message="地区代码应为6位数字")])
    number_pattern = StringField("编号规则", description="可用占位符：{region} 地区代码、{year} 发证年份、{serial:05d} 5位流水号",
                                 validators=[DataRequired("请填写编号规则"), Length(max=60, message="编号规则过长")])
    validity_years = Int("有效期（年）", validators=[InputRequired("请填写有效期"), NumberRange(1, 10, "有效期应为1至10年")])
    review_cycle_years = Int("年审周期（年）", validators=[InputRequired("请填写年审周期"), NumberRange(1, 3, "年审周期应为1至3年")])
    review_warn_months = Int("年审提前提醒（月）", validators=[InputRequired("请填写提醒月数"), NumberRange(1, 12, "提醒月数应为1至12")])
    inactivity_months = Int("无执法记录提示（月）", validators=[InputRequired("请填写月数"), NumberRange(1, 60, "月数应为1至60")])
    categories = TextAreaField("执法类别（每行一个）", validators=[DataRequired("请至少填写一个执法类别")])
    versions = TextAreaField("证件版本（每行一个）", validators=[DataRequired("请至少填写一个证件版本")])
    default_version = StringField("默认证件版本", validators=[DataRequired("请填写默认证件版本"), Length(max=30)])
    issuing_authority = StringField("发证机关（留空则为“本地区人民政府”）", validators=[Length(max=100)])
    renew_new_number = BooleanField("换证时换发新编号（原证件注销）")
    public_url = StringField("公开查询网址", description="证件二维码指向的面向公众的网址，如 https://sfj.example.gov.cn；"
                             "留空则使用打印时浏览器访问的地址（多为内网地址，群众扫码无法打开）",
                             validators=[Optional(), Length(max=200, message="公开查询网址不能超过200个字符")])
    default_region = StringField("执法区域默认值（留空则为本地区名称）",
                                 validators=[Optional(), Length(max=100, message="执法区域不能超过100个字")])
