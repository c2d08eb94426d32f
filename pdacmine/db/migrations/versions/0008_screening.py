"""record-level screening: decisions per reviewer, resolutions, sessions, append-only audit

Revision ID: 0008
Revises: 0007

screening_audit gets the same append-only triggers as review_audit (migration 0003).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MESSAGE = "screening_audit is append-only: audit rows cannot be changed or deleted"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
NOW = sa.DateTime(timezone=True)


def _tables() -> None:
    op.create_table(
        "screening_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("pmid", sa.String(length=20), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("decided_at", NOW, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_screening_decisions_article_id_articles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_decisions")),
        sa.UniqueConstraint("article_id", "reviewer", name=op.f("uq_screening_decisions_article_id")),
    )
    with op.batch_alter_table("screening_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_decisions_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_screening_decisions_reviewer"), ["reviewer"], unique=False)
    op.create_table(
        "screening_resolutions",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("pmid", sa.String(length=20), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_screening_resolutions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_screening_resolutions")),
    )
    op.create_table(
        "screening_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("pmid", sa.String(length=20), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("old", JSON, nullable=False),
        sa.Column("new", JSON, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("session", sa.String(length=40), nullable=True),
        sa.Column("at", NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_audit")),
    )
    with op.batch_alter_table("screening_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_audit_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_screening_audit_pmid"), ["pmid"], unique=False)
    op.create_table(
        "screening_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reviewers_required", sa.Integer(), nullable=False),
        sa.Column("order", sa.String(length=20), nullable=False),
        sa.Column("order_description", sa.Text(), nullable=False),
        sa.Column("filters", sa.Text(), nullable=True),
        sa.Column("started_at", NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_sessions")),
    )


def _append_only() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER screening_audit_no_{event.lower()} BEFORE {event} ON screening_audit "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION screening_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER screening_audit_append_only BEFORE UPDATE OR DELETE ON screening_audit "
            "FOR EACH ROW EXECUTE FUNCTION screening_audit_append_only()"
        )


def upgrade() -> None:
    _tables()
    _append_only()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS screening_audit_append_only ON screening_audit")
        op.execute("DROP FUNCTION IF EXISTS screening_audit_append_only()")
    for table in ("screening_sessions", "screening_audit", "screening_resolutions", "screening_decisions"):
        op.drop_table(table)
