"""The core's imports: departments and people."""


def core_import_kinds():
    return []
