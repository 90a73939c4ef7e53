"""job_row_error: an import job's row errors in a table of their own (they were a JSON value in
the job's row), and job.error_count.

Revision ID: core_0010
Revises: core_0009
Create Date: 2026-12-03
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "core_0010"
down_revision = "core_0009"
branch_labels = None
depends_on = None

MAX_ROW_ERRORS = 20000   # as intranet.jobs.runner: more were never kept
BATCH = 1000

job = sa.table("job", sa.column("id", sa.Integer), sa.column("row_errors", sa.JSON),
               sa.column("error_count", sa.Integer))
row_error = sa.table("job_row_error", sa.column("id", sa.Integer), sa.column("job_id", sa.Integer),
                     sa.column("row", sa.Integer), sa.column("column", sa.String),
                     sa.column("message", sa.Text))


def _decoded(value):
    if isinstance(value, (str, bytes)):   # a driver that hands JSON back as text
        value = json.loads(value)
    return value or []


def upgrade():
    op.create_table(
        "job_row_error",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("column", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_job_row_error_job_id_job")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_row_error")),
    )
    with op.batch_alter_table("job_row_error") as batch_op:
        batch_op.create_index(batch_op.f("ix_job_row_error_job_id"), ["job_id"], unique=False)
    with op.batch_alter_table("job") as batch_op:
        batch_op.add_column(sa.Column("error_count", sa.Integer(), server_default="0", nullable=False))

    conn = op.get_bind()
    ids = conn.execute(sa.select(job.c.id).where(job.c.row_errors.is_not(None)).order_by(job.c.id)).scalars().all()
    for job_id in ids:   # one job's errors at a time: never every job's JSON in memory at once
        errors = _decoded(conn.execute(sa.select(job.c.row_errors).where(job.c.id == job_id)).scalar())
        rows = [{"job_id": job_id, "row": r, "column": (c or "")[:100], "message": m or ""}
                for r, c, m in errors[:MAX_ROW_ERRORS]]
        for start in range(0, len(rows), BATCH):
            conn.execute(sa.insert(row_error), rows[start:start + BATCH])
        conn.execute(sa.update(job).where(job.c.id == job_id).values(error_count=len(errors)))

    with op.batch_alter_table("job") as batch_op:
        batch_op.drop_column("row_errors")


def downgrade():
    with op.batch_alter_table("job") as batch_op:
        batch_op.add_column(sa.Column("row_errors", sa.JSON(), nullable=True))
    conn = op.get_bind()
    ids = conn.execute(sa.select(row_error.c.job_id).distinct().order_by(row_error.c.job_id)).scalars().all()
    for job_id in ids:
        errors = [[r, c, m] for r, c, m in conn.execute(
            sa.select(row_error.c.row, row_error.c.column, row_error.c.message)
            .where(row_error.c.job_id == job_id).order_by(row_error.c.id))]
        conn.execute(sa.update(job).where(job.c.id == job_id).values(row_errors=errors))
    with op.batch_alter_table("job") as batch_op:
        batch_op.drop_column("error_count")
    op.drop_table("job_row_error")
