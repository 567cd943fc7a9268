"""review sessions and document access audit

The case documents are shown only on rongju's own review pages, to a signed-in reviewer of the
case's station: review_session (one row per sign-in; the cookie holds its signed id, so sign-out and
revocation work) and review_access (one audit row per sign-in, case page and document page, shown or
refused).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 16:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reviewer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_session_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_session_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_session_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "review_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("reviewer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_access_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_access_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_access_reviewer_id"), ["reviewer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_access_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_review_access_case_id"))
        batch_op.drop_index(batch_op.f("ix_review_access_at"))
    op.drop_table("review_access")
    with op.batch_alter_table("review_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_session_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_review_session_expires_at"))
        batch_op.drop_index(batch_op.f("ix_review_session_case_id"))
    op.drop_table("review_session")
