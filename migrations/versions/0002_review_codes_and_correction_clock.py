"""review codes and correction clock

Existing cases get paused_days 0 and escalated false (server defaults), so the upgrade runs on a
filled database.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 03:09:08.494640
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reviewer_code_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("time_step", sa.Integer(), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reviewer_id", "time_step", name="uq_reviewer_code_step"),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock_paused_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paused_days", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("escalated")
        batch_op.drop_column("paused_days")
        batch_op.drop_column("clock_paused_on")

    op.drop_table("reviewer_code_use")
