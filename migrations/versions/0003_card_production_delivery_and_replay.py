"""card production, delivery and replay

New tables counter (card-number and waybill sequences), card_issue, delivery, replay; the
notification outbox gains claimed_at (NULL for existing rows) and an index on state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 05:03:58.350378
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_notification_state"), ["state"], unique=False)
    op.create_table(
        "counter",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "card_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("card_version", sa.Integer(), nullable=False),
        sa.Column("card_no", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("bureau", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("face", sa.JSON(), nullable=False),
        sa.Column("photo_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("spooled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("produced_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("card_no"),
        sa.UniqueConstraint("case_id", "card_version", name="uq_card_issue_case_version"),
    )
    with op.batch_alter_table("card_issue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_issue_case_id"), ["case_id"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("card_version", sa.Integer(), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("waybill_no", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("pickup_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("station_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("dispatched_on", sa.Date(), nullable=True),
        sa.Column("handed_over_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "card_version", name="uq_delivery_case_version"),
        sa.UniqueConstraint("waybill_no"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_case_id"), ["case_id"], unique=False)

    op.create_table(
        "replay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status_at_replay", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("previous_flow_run_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("flow_run_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("replay", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_replay_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_state"))
        batch_op.drop_column("claimed_at")
    with op.batch_alter_table("replay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replay_case_id"))

    op.drop_table("replay")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_case_id"))

    op.drop_table("delivery")
    with op.batch_alter_table("card_issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_issue_case_id"))

    op.drop_table("card_issue")
    op.drop_table("counter")
