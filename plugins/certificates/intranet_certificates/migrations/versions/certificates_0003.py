"""行政执法证: an index for the annual report's event figures (a card's events of one action and
period read from the index alone).

Revision ID: certificates_0003
Revises: certificates_0002
Create Date: 2026-12-02
"""
from alembic import op

revision = "certificates_0003"
down_revision = "certificates_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_certificates_event_card_action", "certificates_event",
                    ["certificate_id", "action", "happened_on"])


def downgrade():
    op.drop_index("ix_certificates_event_card_action", table_name="certificates_event")
