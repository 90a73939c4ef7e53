"""Form helpers shared by the core and plugins."""
from __future__ import annotations

from wtforms.fields.choices import SelectChoice


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.3 deprecates plain tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def form_errors(form) -> str:
    """All of a form's error messages in one line, for a flash message."""
    return "；".join(e for errors in form.errors.values() for e in errors)
