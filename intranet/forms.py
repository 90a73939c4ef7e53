"""Form helpers shared by the core and plugins.

Use these fields instead of WTForms' own ``DateField``, ``DateTimeLocalField`` and ``IntegerField``,
and ``coerce=db_id`` for id choices: a value outside the plausible range never reaches the
database (it is a form error, and ``field.data`` stays None even when the form is not validated).
"""
from __future__ import annotations

import wtforms
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

from .inputs import DB_INT_MAX, date_range_error

# WTForms' own messages ("Not a valid choice.", "This field is required.") in Chinese, from the
# catalogue WTForms ships, for every form. Flask-WTF would ask Flask-Babel, which is not used here,
# so its i18n is switched off in the config (WTF_I18N_ENABLED) and the locale is set once.
FlaskForm.Meta.locales = ("zh",)


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.3 deprecates plain tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def form_errors(form) -> str:
    """All of a form's error messages in one line, for a flash message."""
    return "；".join(e for errors in form.errors.values() for e in errors)


def db_id(value) -> int:
    """``coerce`` for id choices: an int in 0..DB_INT_MAX (0 is left for a "none" choice)."""
    number = int(value)
    if not 0 <= number <= DB_INT_MAX:
        raise ValueError("编号超出范围")
    return number


class _KeepParseError:
    """Stop validation after a parse error: DataRequired would replace it with "请填写…"."""

    def pre_validate(self, form):
        if self.process_errors and any(str(v).strip() for v in self.raw_data or []):
            raise StopValidation()
        super().pre_validate(form)


class _PlausibleDate(_KeepParseError):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        error = date_range_error(self.data)
        if error:
            self.data = None
            raise ValueError(error)


class DateField(_PlausibleDate, wtforms.DateField):
    """A date from 1900 to ``MAX_YEARS_AHEAD`` years ahead, with Chinese messages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_value_message", "日期无效，应为 2024-03-01 格式")
        super().__init__(*args, **kwargs)


class DateTimeLocalField(_PlausibleDate, wtforms.DateTimeLocalField):
    """A date and time in the same range as :class:`DateField`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_value_message", "时间无效，应为 2024-03-01 09:00 格式")
        super().__init__(*args, **kwargs)


class IntegerField(_KeepParseError, wtforms.IntegerField):
    """An integer the database can store (±DB_INT_MAX), with Chinese messages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_value_message", "请输入整数")
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > DB_INT_MAX:
            self.data = None
            raise ValueError("数值超出范围")
