"""样例笔记: the note table.

Revision ID: sample_notes_0001
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "sample_notes_0001"
down_revision = None
branch_labels = ("sample_notes",)
depends_on = "core_0001"


def upgrade():
    op.create_table(
        "sample_notes_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("noted_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"],
                                name=op.f("fk_sample_notes_note_department_id_department")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_sample_notes_note_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_notes_note")),
    )
    with op.batch_alter_table("sample_notes_note") as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_notes_note_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sample_notes_note_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sample_notes_note_noted_on"), ["noted_on"], unique=False)


def downgrade():
    op.drop_table("sample_notes_note")
