"""The plugin's pages: ``bp`` under /certificates (logged in) and ``public_bp`` (/verify, /roster)."""
from flask import Blueprint

bp = Blueprint("certificates", __name__, url_prefix="/certificates", template_folder="../templates")
public_bp = Blueprint("certificates_public", __name__, template_folder="../templates")

from . import applications, certificates, cleanup, notices, public, settings_page, subjects  # noqa: E402,F401

__all__ = ["bp", "public_bp"]
