"""The role tuples views and permissions name (``intranet.access`` has them too).

No imports: a plugin's ``plugin.py`` may take its roles from here at module level, and ``intranet
--help``, which imports every enabled plugin, then does not load the database layer.
"""

READ_ROLES = ("admin", "bureau", "dept_admin", "staff", "inspector")
MANAGE_ROLES = ("admin", "bureau", "dept_admin")
BUREAU_ROLES = ("admin", "bureau")
# Roles that only read: every request other than GET/HEAD/OPTIONS is refused (see access.refuse_read_only_writes).
READ_ONLY_ROLES = ("inspector",)
