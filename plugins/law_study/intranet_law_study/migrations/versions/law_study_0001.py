"""学法: sessions, the laws studied, attendance, the 学时台账 and year closings.

Revision ID: law_study_0001
Revises:
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "law_study_0001"
down_revision = None
branch_labels = ("law_study",)
depends_on = "core_0001"


def upgrade():
    op.create_table('law_study_plan_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('laws', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_law_study_plan_item_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_law_study_plan_item_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_law_study_plan_item'))
    )
    with op.batch_alter_table('law_study_plan_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_law_study_plan_item_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_plan_item_year'), ['year'], unique=False)

    op.create_table('law_study_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('speaker', sa.String(length=100), nullable=False),
    sa.Column('speaker_type', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('plan_item_id', sa.Integer(), nullable=True),
    sa.Column('speaker_minutes', sa.Integer(), nullable=True),
    sa.Column('approval', sa.String(length=10), nullable=False),
    sa.Column('approval_note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_law_study_session_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_law_study_session_department_id_department')),
    sa.ForeignKeyConstraint(['plan_item_id'], ['law_study_plan_item.id'], name=op.f('fk_law_study_session_plan_item_id_law_study_plan_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_law_study_session')),
    sa.UniqueConstraint('code', name=op.f('uq_law_study_session_code'))
    )
    with op.batch_alter_table('law_study_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_law_study_session_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_session_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_session_plan_item_id'), ['plan_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_session_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_session_year'), ['year'], unique=False)

    op.create_table('law_study_year_closing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('entries_locked', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_law_study_year_closing_closed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_law_study_year_closing')),
    sa.UniqueConstraint('year', name=op.f('uq_law_study_year_closing_year'))
    )
    op.create_table('law_study_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_law_study_attendance_department_id_department')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_law_study_attendance_person_id_person')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_law_study_attendance_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['session_id'], ['law_study_session.id'], name=op.f('fk_law_study_attendance_session_id_law_study_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_law_study_attendance')),
    sa.UniqueConstraint('session_id', 'person_id', name=op.f('uq_law_study_attendance_session_id'))
    )
    with op.batch_alter_table('law_study_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_law_study_attendance_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_attendance_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_attendance_session_id'), ['session_id'], unique=False)

    op.create_table('law_study_session_law',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['law_study_session.id'], name=op.f('fk_law_study_session_law_session_id_law_study_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_law_study_session_law')),
    sa.UniqueConstraint('session_id', 'name', name=op.f('uq_law_study_session_law_session_id'))
    )
    with op.batch_alter_table('law_study_session_law', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_law_study_session_law_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_session_law_session_id'), ['session_id'], unique=False)

    op.create_table('law_study_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('law', sa.String(length=100), nullable=False),
    sa.Column('evidence', sa.String(length=500), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('attendance_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('return_reason', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['attendance_id'], ['law_study_attendance.id'], name=op.f('fk_law_study_hours_attendance_id_law_study_attendance')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_law_study_hours_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_law_study_hours_department_id_department')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_law_study_hours_person_id_person')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_law_study_hours_reviewed_by_id_user_account')),
    sa.ForeignKeyConstraint(['session_id'], ['law_study_session.id'], name=op.f('fk_law_study_hours_session_id_law_study_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_law_study_hours')),
    sa.UniqueConstraint('attendance_id', name=op.f('uq_law_study_hours_attendance_id'))
    )
    with op.batch_alter_table('law_study_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_law_study_hours_department_id'), ['department_id'], unique=False)
        batch_op.create_index('ix_law_study_hours_person_year', ['person_id', 'year'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_hours_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_hours_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_hours_year'), ['year'], unique=False)

    op.create_table('law_study_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=60), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_law_study_evidence_department_id_department')),
    sa.ForeignKeyConstraint(['entry_id'], ['law_study_hours.id'], name=op.f('fk_law_study_evidence_entry_id_law_study_hours')),
    sa.ForeignKeyConstraint(['session_id'], ['law_study_session.id'], name=op.f('fk_law_study_evidence_session_id_law_study_session')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_law_study_evidence_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_law_study_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_law_study_evidence_stored_name'))
    )
    with op.batch_alter_table('law_study_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_law_study_evidence_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_evidence_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_law_study_evidence_session_id'), ['session_id'], unique=False)
    # ### end Alembic commands ###


def downgrade():
    op.drop_table('law_study_evidence')
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('law_study_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_law_study_hours_year'))
        batch_op.drop_index(batch_op.f('ix_law_study_hours_state'))
        batch_op.drop_index(batch_op.f('ix_law_study_hours_session_id'))
        batch_op.drop_index('ix_law_study_hours_person_year')
        batch_op.drop_index(batch_op.f('ix_law_study_hours_department_id'))

    op.drop_table('law_study_hours')
    with op.batch_alter_table('law_study_session_law', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_law_study_session_law_session_id'))
        batch_op.drop_index(batch_op.f('ix_law_study_session_law_name'))

    op.drop_table('law_study_session_law')
    with op.batch_alter_table('law_study_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_law_study_attendance_session_id'))
        batch_op.drop_index(batch_op.f('ix_law_study_attendance_person_id'))
        batch_op.drop_index(batch_op.f('ix_law_study_attendance_department_id'))

    op.drop_table('law_study_attendance')
    op.drop_table('law_study_year_closing')
    with op.batch_alter_table('law_study_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_law_study_session_year'))
        batch_op.drop_index(batch_op.f('ix_law_study_session_status'))
        batch_op.drop_index(batch_op.f('ix_law_study_session_held_on'))
        batch_op.drop_index(batch_op.f('ix_law_study_session_department_id'))

    op.drop_table('law_study_session')
    op.drop_table('law_study_plan_item')
    # ### end Alembic commands ###
