"""user_account.must_change_password: a password an administrator set must be changed at first login.

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("must_change_password")
