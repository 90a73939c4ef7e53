from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from ..forms import DateField
from ..models import PERSON_STATUSES, STAFFING_TYPES


class PersonForm(FlaskForm):
    name = StringField("姓名", validators=[DataRequired("请输入姓名"), Length(max=50, message="姓名不能超过50个字符")])
    id_number = StringField("身份证号", validators=[Optional()])
    # Choices come from the view; an id outside the user's scope is answered with 403 there.
    department_id = SelectField("所在单位", coerce=str, validate_choice=False)
    title = StringField("职务", validators=[Optional(), Length(max=100, message="职务不能超过100个字符")])
    staffing = SelectField("编制类型", choices=list(STAFFING_TYPES))
    enforcement_post = BooleanField("在执法岗位（直接承担行政执法任务）")
    legal_qualification = BooleanField("具有法律职业资格")
    phone = StringField("联系电话", validators=[Optional(), Length(max=20, message="电话不能超过20个字符"),
                                            Regexp(r"^[0-9+\- ]*$", message="电话只能包含数字、空格、+ 和 -")])
    reason = StringField("修改原因", validators=[Optional(), Length(max=500)])


class StatusForm(FlaskForm):
    status = SelectField("人员状态", choices=list(PERSON_STATUSES))
    changed_on = DateField("状态变更日期", default=date.today,
                           validators=[InputRequired("请输入状态变更日期")])
    reason = StringField("变更原因", validators=[DataRequired("请填写变更原因"), Length(max=500)])


class PeopleFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("姓名或身份证号", validators=[Optional()])
    unit = StringField("单位", validators=[Optional()])
    status = SelectField("状态", choices=[SelectChoice("", "全部状态")] + list(PERSON_STATUSES),
                         validators=[Optional()], validate_choice=False)
    staffing = SelectField("编制", choices=[SelectChoice("", "全部编制")] + list(STAFFING_TYPES),
                           validators=[Optional()], validate_choice=False)
    enforcement = SelectField("执法岗位", choices=[SelectChoice("", "全部"), SelectChoice("1", "是"), SelectChoice("0", "否")],
                              validators=[Optional()], validate_choice=False)
