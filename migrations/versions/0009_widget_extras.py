"""widget extras: goals beyond the goal (a stretch goal; a match pledge with its cap,
sponsor, and whether matched money is added to the total the widget shows), and
recent donors (how many a drive's widget shows; when an admin approved a gift's
message for the public)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:58:00

"""
from alembic import op
import sqlalchemy as sa

import donation_drive.models.types


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ... ADD COLUMN, not batch mode: a batch rebuild of drives and
    # donations on SQLite drops the old copy of a table other rows point at, which
    # fails while foreign keys are enforced (a database with gifts and donors in it).
    op.add_column('drives', sa.Column('stretch_goal_amount', sa.BigInteger(), nullable=True))
    op.add_column('drives', sa.Column('match_cap_amount', sa.BigInteger(), nullable=True))
    op.add_column('drives', sa.Column('match_sponsor', sa.String(length=200), nullable=True))
    op.add_column(
        'drives',
        sa.Column('match_added_to_total', sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        'drives',
        sa.Column('recent_donors_shown', sa.Integer(), nullable=False, server_default='0'),
    )
    op.add_column(
        'donations',
        sa.Column(
            'message_approved_at',
            donation_drive.models.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
    )


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL), not batch mode: the
    # columns carry no index or constraint, and a batch rebuild drops the old copy of
    # donations and drives, which fails while other rows point at them and foreign
    # keys are enforced (a database with gifts and donors in it).
    op.drop_column('donations', 'message_approved_at')
    for column in (
        'recent_donors_shown',
        'match_added_to_total',
        'match_sponsor',
        'match_cap_amount',
        'stretch_goal_amount',
    ):
        op.drop_column('drives', column)
