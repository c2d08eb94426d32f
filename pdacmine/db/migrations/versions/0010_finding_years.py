"""finding_years: a finding's score terms and counts per publication year

Revision ID: 0010
Revises: 0009

``pdacmine query --since 2020`` (and the browser's findings page with a date filter) scored every
finding again from the evidence of those years: seconds on a million evidence rows. A paper has one
publication year and its value to a finding depends on that paper alone, so a range of whole years
is scored by summing these rows (:mod:`pdacmine.db.finding_years`); ``findings.year_bound`` (the most
a finding can score under any year filter) lets a page of the best findings sum the rows of a few
findings only; ``findings.years_digest`` lets a refresh leave the rows of an unchanged finding alone.
``finding_years_state`` says whether the rows are complete and with which weights and reference
year they were scored; the rows are written by the next full ranking (``pdacmine rank``), until
then filtered queries score the evidence as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DIRECTIONS = ("promotes", "suppresses", "associated")
STUDIES = ("clinical", "human_tissue", "animal", "in_vitro", "review", "other")


def upgrade() -> None:
    op.create_table(
        "finding_years",
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("organ", sa.String(length=50), nullable=True),
        sa.Column("pro", sa.Float(), nullable=False),
        sa.Column("sup", sa.Float(), nullable=False),
        *(sa.Column(f"{part}_{d}", sa.Float(), nullable=False) for part in ("support", "contradiction")
          for d in DIRECTIONS),
        *(sa.Column(f"{part}_{d}", sa.Integer(), nullable=False) for part in ("papers", "contradicting")
          for d in DIRECTIONS),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in ("n_evidence", "n_accepted", "n_rejected")),
        *(sa.Column(f"n_{s}", sa.Integer(), nullable=False) for s in STUDIES),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_finding_years_finding_id_findings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("finding_id", "year", name=op.f("pk_finding_years")),
    )  # fmt: skip
    # the map's charts: a year range read from the index alone
    op.create_index("ix_finding_years_charts", "finding_years", ["year", "organ", "n_evidence", "n_rejected",
                    *(f"n_{s}" for s in STUDIES), "finding_id"])  # fmt: skip
    op.add_column("findings", sa.Column("year_bound", sa.Float(), nullable=True))
    op.add_column("findings", sa.Column("years_digest", sa.BigInteger(), nullable=True))
    op.create_index("ix_findings_year_bound", "findings", ["year_bound"])
    op.create_table(
        "finding_years_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference_year", sa.Integer(), nullable=False),
        sa.Column("weights_digest", sa.String(length=20), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_years_state")),
    )


def downgrade() -> None:
    op.drop_table("finding_years_state")
    op.drop_index("ix_findings_year_bound", table_name="findings")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("year_bound")
        batch.drop_column("years_digest")
    op.drop_index("ix_finding_years_charts", table_name="finding_years")
    op.drop_table("finding_years")
