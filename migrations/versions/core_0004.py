"""person.name_key: the pinyin sort key lists order people by (filled in for existing people).

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

from intranet.pinyin import sort_key

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("person") as batch_op:
        key_type = sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql")
        batch_op.add_column(sa.Column("name_key", key_type, server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_person_name_key"), ["name_key"], unique=False)
    bind = op.get_bind()
    person = sa.table("person", sa.column("id", sa.Integer), sa.column("name", sa.String),
                      sa.column("name_key", sa.String))
    rows = bind.execute(sa.select(person.c.id, person.c.name)).all()
    for start in range(0, len(rows), 1000):
        bind.execute(person.update().where(person.c.id == sa.bindparam("pid")).values(name_key=sa.bindparam("key")),
                     [{"pid": r.id, "key": sort_key(r.name)} for r in rows[start:start + 1000]])


def downgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_name_key"))
        batch_op.drop_column("name_key")
