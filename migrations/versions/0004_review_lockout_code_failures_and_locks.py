"""review lockout: code failures and locks

New tables reviewer_code_failure (one row per wrong one-time code, counted per reviewer and per
case) and review_lock (a reviewer or a case locked after too many wrong codes; its key keys the
supervisor's notice).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 14:34:28.678179
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reviewer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("locked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("review_lock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_lock_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_lock_reviewer_id"), ["reviewer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_lock_until"), ["until"], unique=False)

    op.create_table(
        "reviewer_code_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reviewer_code_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviewer_code_failure_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviewer_code_failure_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reviewer_code_failure_reviewer_id"), ["reviewer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reviewer_code_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewer_code_failure_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_reviewer_code_failure_case_id"))
        batch_op.drop_index(batch_op.f("ix_reviewer_code_failure_at"))

    op.drop_table("reviewer_code_failure")
    with op.batch_alter_table("review_lock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_lock_until"))
        batch_op.drop_index(batch_op.f("ix_review_lock_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_review_lock_case_id"))

    op.drop_table("review_lock")
