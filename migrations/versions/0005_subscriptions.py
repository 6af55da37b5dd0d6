"""subscriptions: monthly gifts and their audit trail

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:18:21.189917

"""

from alembic import op
import sqlalchemy as sa

import donation_drive.models.types


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_ref", sa.String(length=200), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=True),
        sa.Column("donor_name", sa.String(length=200), nullable=True),
        sa.Column("donor_email", sa.String(length=320), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("interval", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_as_of", sa.BigInteger(), nullable=False),
        sa.Column("drive_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", donation_drive.models.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", donation_drive.models.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "canceled_at", donation_drive.models.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "amount > 0", name=op.f("ck_subscriptions_subscription_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["drive_id"], ["drives.id"], name=op.f("fk_subscriptions_drive_id_drives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "provider", "provider_ref", name=op.f("uq_subscriptions_provider_provider_ref")
        ),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_subscriptions_donor_email", ["donor_email"], unique=False)
        batch_op.create_index("ix_subscriptions_status", ["status"], unique=False)

    op.create_table(
        "subscription_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", donation_drive.models.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_events_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_events")),
    )
    with op.batch_alter_table("subscription_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscription_events_subscription", ["subscription_id", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("subscription_events", schema=None) as batch_op:
        batch_op.drop_index("ix_subscription_events_subscription")

    op.drop_table("subscription_events")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_status")
        batch_op.drop_index("ix_subscriptions_donor_email")

    op.drop_table("subscriptions")
