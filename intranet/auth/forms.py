from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..passwords import PASSWORD_MAX, PASSWORD_MIN


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=50, message="用户名过长")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=PASSWORD_MAX, message="密码过长")])
    remember = BooleanField("记住我（14天）")


class PasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField("新密码", validators=[
        DataRequired("请输入新密码"),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=f"新密码长度应为{PASSWORD_MIN}–{PASSWORD_MAX}位"),
    ])
    confirm = PasswordField("确认新密码", validators=[EqualTo("new", message="两次输入的新密码不一致")])
