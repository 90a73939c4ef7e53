"""The plugin's forms."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class ItemForm(FlaskForm):
    department_id = SelectField("单位", coerce=int, validators=[DataRequired("请选择单位")])
    title = StringField("标题", validators=[DataRequired("请输入标题"), Length(max=200, message="标题不能超过200个字")])
    held_on = DateField("日期", default=date.today, validators=[DataRequired("请输入有效日期")])
