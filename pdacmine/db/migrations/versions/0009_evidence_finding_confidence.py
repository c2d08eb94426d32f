"""evidence (finding_id, confidence DESC, id): a finding's best evidence without sorting all of it

Revision ID: 0009
Revises: 0008

The review queue asks for the most confident unreviewed sentence of the best findings
(:func:`pdacmine.db.overview.next_to_review`). With only ``ix_evidence_finding_id``, the top
finding of a large database (13k sentences) was read and sorted in full on every page; this
index hands them over in the queue's order, so the first undecided one ends the walk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_evidence_finding_confidence", "evidence", ["finding_id", sa.text("confidence DESC"), "id"])


def downgrade() -> None:
    op.drop_index("ix_evidence_finding_confidence", table_name="evidence")
