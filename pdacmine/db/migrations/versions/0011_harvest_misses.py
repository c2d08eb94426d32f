"""harvest_misses: identified PMIDs E-utilities never returns, counted per saved query and run

Revision ID: 0011
Revises: 0010

A PMID that ESearch lists but EFetch never returns (NCBI index lag, a withdrawn record) failed every
run of its window (exit 4) and held the watermark back for good. Each row counts the runs a PMID
stayed missing in for one saved query; after ``harvest_give_up_runs`` runs the harvester records it
as failed with the reason and moves the watermark, and ``gave_up_run_id`` keeps later runs (the
overlap re-reads the day) from counting it again. The row goes when the record is finally stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_misses",
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("pmid", sa.String(length=20), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("gave_up_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["saved_queries.id"],
            name=op.f("fk_harvest_misses_query_id_saved_queries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("query_id", "pmid", name=op.f("pk_harvest_misses")),
    )


def downgrade() -> None:
    op.drop_table("harvest_misses")
