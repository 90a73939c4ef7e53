from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..models import DEPARTMENT_KINDS


class DepartmentForm(FlaskForm):
    code = StringField("单位编码", validators=[DataRequired("请输入单位编码"),
                                            Length(max=32, message="单位编码不能超过32个字符")])
    name = StringField("单位名称", validators=[DataRequired("请输入单位名称"),
                                            Length(max=200, message="单位名称不能超过200个字符")])
    kind = SelectField("单位类型", choices=list(DEPARTMENT_KINDS))
    # Choices are set by the view (the departments the user may put a unit under); an id outside
    # them is a tampered request and the view answers 403, so wtforms' own choice check is off.
    parent_id = SelectField("上级单位", coerce=str, validate_choice=False)
    reason = StringField("修改原因", validators=[Optional(), Length(max=500)])


class ReasonForm(FlaskForm):
    reason = StringField("原因", validators=[Optional(), Length(max=500, message="原因不能超过500个字符")])


class DepartmentFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("编码或名称", validators=[Optional()])
    kind = SelectField("类型", choices=[SelectChoice("", "全部类型")] + list(DEPARTMENT_KINDS),
                       validators=[Optional()], validate_choice=False)
    state = SelectField("状态", choices=[SelectChoice("active", "启用"), SelectChoice("inactive", "已停用"),
                                            SelectChoice("all", "全部")],
                        validators=[Optional()], validate_choice=False)
