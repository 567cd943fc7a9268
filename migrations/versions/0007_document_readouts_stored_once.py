"""document readouts stored once

What reading each document gave (facts with confidences, the card face's extra fields, the reasons
it could not be used), written by the read step: card numbering builds the card face from it instead
of reading the ID card a second time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 21:00:16.152877
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_readout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("section", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=True),
        sa.Column("card_fields", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id"),
    )
    with op.batch_alter_table("document_readout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_readout_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document_readout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_readout_case_id"))

    op.drop_table("document_readout")
