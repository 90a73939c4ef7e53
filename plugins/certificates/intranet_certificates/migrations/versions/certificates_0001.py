"""行政执法证: the plugin's tables.

Revision ID: certificates_0001
Revises:
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = "certificates_0001"
down_revision = None
branch_labels = ("certificates",)
depends_on = "core_0001"


def upgrade():
    op.create_table('certificates_number_counter',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_certificates_number_counter'))
    )
    op.create_table('certificates_enforcement_subject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('confirmed_on', sa.Date(), nullable=False),
    sa.Column('basis', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_certificates_enforcement_subject_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates_enforcement_subject')),
    sa.UniqueConstraint('department_id', name=op.f('uq_certificates_enforcement_subject_department_id'))
    )
    op.create_table('certificates_cancellation_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('numbers', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_certificates_cancellation_notice_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates_cancellation_notice'))
    )
    op.create_index(op.f('ix_certificates_cancellation_notice_published_on'), 'certificates_cancellation_notice', ['published_on'], unique=False)
    op.create_table('certificates_cleanup_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_certificates_cleanup_campaign_closed_by_id_user_account')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_certificates_cleanup_campaign_department_id_department')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user_account.id'], name=op.f('fk_certificates_cleanup_campaign_opened_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates_cleanup_campaign'))
    )
    op.create_index(op.f('ix_certificates_cleanup_campaign_department_id'), 'certificates_cleanup_campaign', ['department_id'], unique=False)
    op.create_index(op.f('ix_certificates_cleanup_campaign_status'), 'certificates_cleanup_campaign', ['status'], unique=False)
    op.create_table('certificates_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('issuing_authority', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('version', sa.String(length=30), nullable=False),
    sa.Column('photo_file', sa.String(length=100), nullable=False),
    sa.Column('photo_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('status_changed_on', sa.Date(), nullable=True),
    sa.Column('last_review_on', sa.Date(), nullable=True),
    sa.Column('next_review_due', sa.Date(), nullable=True),
    sa.Column('last_enforcement_on', sa.Date(), nullable=True),
    sa.Column('lost', sa.Boolean(), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_certificates_certificate_department_id_department')),
    sa.ForeignKeyConstraint(['notice_id'], ['certificates_cancellation_notice.id'], name=op.f('fk_certificates_certificate_notice_id_certificates_cancellation_notice')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_certificates_certificate_person_id_person')),
    sa.ForeignKeyConstraint(['replaces_id'], ['certificates_certificate.id'], name=op.f('fk_certificates_certificate_replaces_id_certificates_certificate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates_certificate')),
    sa.UniqueConstraint('number', name=op.f('uq_certificates_certificate_number'))
    )
    op.create_index(op.f('ix_certificates_certificate_category'), 'certificates_certificate', ['category'], unique=False)
    op.create_index(op.f('ix_certificates_certificate_department_id'), 'certificates_certificate', ['department_id'], unique=False)
    op.create_index(op.f('ix_certificates_certificate_issued_on'), 'certificates_certificate', ['issued_on'], unique=False)
    op.create_index(op.f('ix_certificates_certificate_next_review_due'), 'certificates_certificate', ['next_review_due'], unique=False)
    op.create_index(op.f('ix_certificates_certificate_person_id'), 'certificates_certificate', ['person_id'], unique=False)
    op.create_index(op.f('ix_certificates_certificate_status'), 'certificates_certificate', ['status'], unique=False)
    op.create_index(op.f('ix_certificates_certificate_valid_until'), 'certificates_certificate', ['valid_until'], unique=False)
    op.create_table('certificates_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('photo_file', sa.String(length=100), nullable=False),
    sa.Column('photo_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=True),
    sa.Column('applicant_name', sa.String(length=50), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_name', sa.String(length=50), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('manual_check', sa.Boolean(), nullable=True),
    sa.Column('manual_note', sa.String(length=500), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['applicant_id'], ['user_account.id'], name=op.f('fk_certificates_application_applicant_id_user_account')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates_certificate.id'], name=op.f('fk_certificates_application_certificate_id_certificates_certificate')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_certificates_application_department_id_department')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_certificates_application_person_id_person')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_certificates_application_reviewer_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates_application'))
    )
    op.create_index(op.f('ix_certificates_application_department_id'), 'certificates_application', ['department_id'], unique=False)
    op.create_index(op.f('ix_certificates_application_person_id'), 'certificates_application', ['person_id'], unique=False)
    op.create_index(op.f('ix_certificates_application_status'), 'certificates_application', ['status'], unique=False)
    op.create_table('certificates_cleanup_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('candidate_group', sa.String(length=20), nullable=False),
    sa.Column('groups', sa.String(length=120), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('decided_by_name', sa.String(length=50), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('confirmed_by_name', sa.String(length=50), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['certificates_cleanup_campaign.id'], name=op.f('fk_certificates_cleanup_candidate_campaign_id_certificates_cleanup_campaign')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates_certificate.id'], name=op.f('fk_certificates_cleanup_candidate_certificate_id_certificates_certificate')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_certificates_cleanup_candidate_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates_cleanup_candidate')),
    sa.UniqueConstraint('campaign_id', 'certificate_id', name=op.f('uq_certificates_cleanup_candidate_campaign_id'))
    )
    op.create_index(op.f('ix_certificates_cleanup_candidate_campaign_id'), 'certificates_cleanup_candidate', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_certificates_cleanup_candidate_candidate_group'), 'certificates_cleanup_candidate', ['candidate_group'], unique=False)
    op.create_index(op.f('ix_certificates_cleanup_candidate_certificate_id'), 'certificates_cleanup_candidate', ['certificate_id'], unique=False)
    op.create_index(op.f('ix_certificates_cleanup_candidate_department_id'), 'certificates_cleanup_candidate', ['department_id'], unique=False)
    op.create_table('certificates_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=10), nullable=True),
    sa.Column('to_status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=50), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_certificates_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates_certificate.id'], name=op.f('fk_certificates_event_certificate_id_certificates_certificate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates_event'))
    )
    op.create_index(op.f('ix_certificates_event_action'), 'certificates_event', ['action'], unique=False)
    op.create_index(op.f('ix_certificates_event_certificate_id'), 'certificates_event', ['certificate_id'], unique=False)
    op.create_index(op.f('ix_certificates_event_happened_on'), 'certificates_event', ['happened_on'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_certificates_event_happened_on'), table_name='certificates_event')
    op.drop_index(op.f('ix_certificates_event_certificate_id'), table_name='certificates_event')
    op.drop_index(op.f('ix_certificates_event_action'), table_name='certificates_event')
    op.drop_table('certificates_event')
    op.drop_index(op.f('ix_certificates_cleanup_candidate_department_id'), table_name='certificates_cleanup_candidate')
    op.drop_index(op.f('ix_certificates_cleanup_candidate_certificate_id'), table_name='certificates_cleanup_candidate')
    op.drop_index(op.f('ix_certificates_cleanup_candidate_candidate_group'), table_name='certificates_cleanup_candidate')
    op.drop_index(op.f('ix_certificates_cleanup_candidate_campaign_id'), table_name='certificates_cleanup_candidate')
    op.drop_table('certificates_cleanup_candidate')
    op.drop_index(op.f('ix_certificates_application_status'), table_name='certificates_application')
    op.drop_index(op.f('ix_certificates_application_person_id'), table_name='certificates_application')
    op.drop_index(op.f('ix_certificates_application_department_id'), table_name='certificates_application')
    op.drop_table('certificates_application')
    op.drop_index(op.f('ix_certificates_certificate_valid_until'), table_name='certificates_certificate')
    op.drop_index(op.f('ix_certificates_certificate_status'), table_name='certificates_certificate')
    op.drop_index(op.f('ix_certificates_certificate_person_id'), table_name='certificates_certificate')
    op.drop_index(op.f('ix_certificates_certificate_next_review_due'), table_name='certificates_certificate')
    op.drop_index(op.f('ix_certificates_certificate_issued_on'), table_name='certificates_certificate')
    op.drop_index(op.f('ix_certificates_certificate_department_id'), table_name='certificates_certificate')
    op.drop_index(op.f('ix_certificates_certificate_category'), table_name='certificates_certificate')
    op.drop_table('certificates_certificate')
    op.drop_index(op.f('ix_certificates_cleanup_campaign_status'), table_name='certificates_cleanup_campaign')
    op.drop_index(op.f('ix_certificates_cleanup_campaign_department_id'), table_name='certificates_cleanup_campaign')
    op.drop_table('certificates_cleanup_campaign')
    op.drop_index(op.f('ix_certificates_cancellation_notice_published_on'), table_name='certificates_cancellation_notice')
    op.drop_table('certificates_cancellation_notice')
    op.drop_table('certificates_enforcement_subject')
    op.drop_table('certificates_number_counter')
