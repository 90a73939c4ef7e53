"""Annual report submission and approval: drafts (the four texts, the state), frozen versions with
their files, review decisions; the frozen tables are append-only in the database too.

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None

FROZEN_TABLES = ("report_version", "report_version_file", "report_review")


def upgrade():
    op.create_table(
        "report_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("public_token", sa.String(length=40), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name=op.f("fk_report_draft_department_id_department")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"], name=op.f("fk_report_draft_updated_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_draft")),
        sa.UniqueConstraint("public_token", name=op.f("uq_report_draft_public_token")),
        sa.UniqueConstraint("year", "department_id", name="uq_report_draft_year_department"),
    )
    with op.batch_alter_table("report_draft") as batch_op:
        batch_op.create_index(batch_op.f("ix_report_draft_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_draft_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_draft_year"), ["year"], unique=False)

    op.create_table(
        "report_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by_name", sa.String(length=50), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name=op.f("fk_report_version_department_id_department")),
        sa.ForeignKeyConstraint(["draft_id"], ["report_draft.id"], name=op.f("fk_report_version_draft_id_report_draft")),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["user_account.id"], name=op.f("fk_report_version_submitted_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_version")),
        sa.UniqueConstraint("draft_id", "number", name="uq_report_version_draft_number"),
    )
    with op.batch_alter_table("report_version") as batch_op:
        batch_op.create_index(batch_op.f("ix_report_version_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_version_draft_id"), ["draft_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_version_year"), ["year"], unique=False)

    op.create_table(
        "report_version_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["report_version.id"], name=op.f("fk_report_version_file_version_id_report_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_version_file")),
        sa.UniqueConstraint("version_id", "format", name="uq_report_version_file_version_format"),
    )
    with op.batch_alter_table("report_version_file") as batch_op:
        batch_op.create_index(batch_op.f("ix_report_version_file_version_id"), ["version_id"], unique=False)

    op.create_table(
        "report_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=50), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"], name=op.f("fk_report_review_actor_id_user_account")),
        sa.ForeignKeyConstraint(["version_id"], ["report_version.id"], name=op.f("fk_report_review_version_id_report_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_review")),
    )
    with op.batch_alter_table("report_review") as batch_op:
        batch_op.create_index(batch_op.f("ix_report_review_version_id"), ["version_id"], unique=False)

    from intranet.schema import frozen_report_guards
    for statement in frozen_report_guards(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in FROZEN_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
        op.execute("DROP FUNCTION IF EXISTS report_frozen_refuse()")
    for table in reversed(("report_draft", *FROZEN_TABLES)):
        op.drop_table(table)
