"""widget extras: goals beyond the goal (a stretch goal; a match pledge with its cap,
sponsor, and whether matched money is added to the total the widget shows), and
recent donors (how many a drive's widget shows; when an admin approved a gift's
message for the public)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:58:00

"""
from alembic import op
import sqlalchemy as sa

import donation_drive.models.types


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('drives', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stretch_goal_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('match_cap_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('match_sponsor', sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                'match_added_to_total', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column('recent_donors_shown', sa.Integer(), nullable=False, server_default='0')
        )
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'message_approved_at',
                donation_drive.models.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade():
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_column('message_approved_at')
    with op.batch_alter_table('drives', schema=None) as batch_op:
        batch_op.drop_column('recent_donors_shown')
        batch_op.drop_column('match_added_to_total')
        batch_op.drop_column('match_sponsor')
        batch_op.drop_column('match_cap_amount')
        batch_op.drop_column('stretch_goal_amount')
