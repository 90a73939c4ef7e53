"""App config enabling the test plugins of this folder (they are not installed packages).

A test module puts this folder on ``sys.path`` and imports ``plugin_config``.
"""
SOURCES = {"sample_notes": "sample_notes.plugin", "sample_remarks": "sample_remarks.plugin"}


def plugin_config(*names: str) -> dict:
    """Config enabling exactly ``names`` (default: sample_notes)."""
    return {"PLUGINS": list(names or ["sample_notes"]), "PLUGIN_SOURCES": dict(SOURCES)}
