"""findings: (facet, score) indexes so that filtered queries walk findings best-first

Revision ID: 0004
Revises: 0003

``pdacmine query --organ lung`` (and the evidence listing, best findings first) wants the
findings of one facet value in score order. With an index on (facet, score) the database
reads them in that order and stops after the first page instead of sorting every match:
on a million evidence rows the evidence listing for one organ goes from seconds to well
under 100 ms (benchmarks/query.py).
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FACETS = ("organ", "stage", "mechanism_key", "mechanism_category", "therapy_key", "therapy_class")


def upgrade() -> None:
    for column in FACETS:
        op.create_index(f"ix_findings_{column}_score", "findings", [column, "score"])


def downgrade() -> None:
    for column in FACETS:
        op.drop_index(f"ix_findings_{column}_score", table_name="findings")
