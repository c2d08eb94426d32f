"""article_extractions.error: per-record extraction failures

Revision ID: 0006
Revises: 0005

An article whose text the pipeline cannot process (e.g. longer than spaCy accepts) gets an
``article_extractions`` row with the extractor version and the reason in ``error`` (NULL for a
successful extraction). It is not pending again until the extractor version or the article
changes, so one bad record no longer blocks every later ``extract`` / ``update``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article_extractions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article_extractions", schema=None) as batch_op:
        batch_op.drop_column("error")
