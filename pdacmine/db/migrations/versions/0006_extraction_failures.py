"""article_extractions.error: per-record extraction failures; imported_files.size as BIGINT

Revision ID: 0006
Revises: 0005

An article whose text the pipeline cannot process (e.g. longer than spaCy accepts) gets an
``article_extractions`` row with the extractor version and the reason in ``error`` (NULL for a
successful extraction). It is not pending again until the extractor version or the article
changes, so one bad record no longer blocks every later ``extract`` / ``update``.

``imported_files.size`` becomes a BIGINT: on PostgreSQL an INTEGER cannot hold the size of a
file over 2 GiB (a decompressed baseline file can be), and recording the finished file failed
with its last batch.
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
    with op.batch_alter_table("imported_files", schema=None) as batch_op:
        batch_op.alter_column("size", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("imported_files", schema=None) as batch_op:
        batch_op.alter_column("size", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table("article_extractions", schema=None) as batch_op:
        batch_op.drop_column("error")
