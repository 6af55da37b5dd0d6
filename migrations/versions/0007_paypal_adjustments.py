"""paypal: adjustments (refunds, reversals and cancelled reversals of PayPal payments, once each) and reconcile_runs.provider

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:30:00

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
    op.create_table('paypal_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('adjustment_id', sa.String(length=64), nullable=False),
    sa.Column('capture_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('occurred_at', donation_drive.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('created_at', donation_drive.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_paypal_adjustments_paypal_adjustment_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paypal_adjustments')),
    sa.UniqueConstraint('adjustment_id', name=op.f('uq_paypal_adjustments_adjustment_id'))
    )
    with op.batch_alter_table('paypal_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_paypal_adjustments_capture', ['capture_id'], unique=False)
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider', sa.String(length=16), server_default='stripe', nullable=False))


def downgrade():
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.drop_column('provider')
    with op.batch_alter_table('paypal_adjustments', schema=None) as batch_op:
        batch_op.drop_index('ix_paypal_adjustments_capture')
    op.drop_table('paypal_adjustments')
