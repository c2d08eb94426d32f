"""record sources and deduplication

Revision ID: 0007
Revises: 0006

Records from Embase, Scopus, Web of Science... (RIS, MEDLINE text, CSV) may have no PMID, so
``articles.pmid`` becomes nullable (still unique when present); ``articles.duplicate_of`` holds
deduplication merges; ``record_sources`` says which database, file and search each record came
from; ``dedup_audit`` logs every merge and split (append-only, like ``review_audit``);
``imported_files`` learns the format, database and search of a file. Evidence and review rows
name records without a PMID by ``doi:<DOI>`` or ``record:<id>``, so their ``pmid`` column widens
to 255 characters.

On SQLite the NOT NULL on ``articles.pmid`` is dropped by editing the table's schema text (the
procedure SQLite documents for removing a NOT NULL constraint): re-creating the table would
cascade-delete the evidence that references it. SQLite does not enforce VARCHAR lengths, so
the widening is for PostgreSQL only.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WIDENED = (("evidence", "pmid"), ("review_decisions", "pmid"), ("review_audit", "pmid"))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_pmid_nullable(bind)
    else:
        op.alter_column("articles", "pmid", existing_type=sa.String(20), nullable=True)
        for table, column in WIDENED:
            op.alter_column(table, column, existing_type=sa.String(20), type_=sa.String(255))
    op.add_column("articles", sa.Column("duplicate_of", sa.Integer(), nullable=True))
    op.create_index("ix_articles_duplicate_of", "articles", ["duplicate_of"])
    op.add_column("imported_files", sa.Column("format", sa.String(20), nullable=False, server_default="pubmed-xml"))
    op.add_column("imported_files", sa.Column("database", sa.String(100), nullable=True))
    op.add_column("imported_files", sa.Column("search", sa.Text(), nullable=True))
    _create_record_sources()
    _create_dedup_audit()
    _append_only(bind.dialect.name)


AUDIT_MESSAGE = "dedup_audit is append-only: audit rows cannot be changed or deleted"


def _append_only(dialect: str) -> None:
    """Like review_audit (0003): the deduplication audit trail cannot be rewritten."""
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER dedup_audit_no_{event.lower()} BEFORE {event} ON dedup_audit "
                f"BEGIN SELECT RAISE(ABORT, '{AUDIT_MESSAGE}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION dedup_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{AUDIT_MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER dedup_audit_append_only BEFORE UPDATE OR DELETE ON dedup_audit "
            "FOR EACH ROW EXECUTE FUNCTION dedup_audit_append_only()"
        )


def _sqlite_pmid_nullable(bind: sa.Connection) -> None:
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type='table' AND name='articles'").scalar()
    new = re.sub(r"(\bpmid\s+VARCHAR(?:\(\d+\))?)\s+NOT NULL", r"\1", sql or "", count=1)
    if new == sql:
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql=? WHERE type='table' AND name='articles'", (new,))
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version or 0) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def _create_record_sources() -> None:
    op.create_table(
        "record_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("database", sa.String(100), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("search", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("accession", sa.String(255), nullable=True),
        sa.Column("pmid", sa.String(20), nullable=True),
        sa.Column("doi", sa.String(255), nullable=True),
        sa.Column("pmcid", sa.String(20), nullable=True),
        sa.Column("has_abstract", sa.Boolean(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_record_sources_article_id_articles", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imported_files.id"], name="fk_record_sources_import_id_imported_files", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_record_sources"),
    )
    op.create_index("ix_record_sources_article_id", "record_sources", ["article_id"])
    op.create_index("ix_record_sources_import_id", "record_sources", ["import_id"])


def _create_dedup_audit() -> None:
    op.create_table(
        "dedup_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("canonical_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dedup_audit"),
    )
    op.create_index("ix_dedup_audit_article_id", "dedup_audit", ["article_id"])
    op.create_index("ix_dedup_audit_canonical_id", "dedup_audit", ["canonical_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS dedup_audit_append_only() CASCADE")
    op.drop_table("dedup_audit")  # its SQLite triggers go with it
    op.drop_table("record_sources")
    with op.batch_alter_table("imported_files") as batch:
        batch.drop_column("search")
        batch.drop_column("database")
        batch.drop_column("format")
    op.drop_index("ix_articles_duplicate_of", table_name="articles")
    op.execute("ALTER TABLE articles DROP COLUMN duplicate_of")  # no table re-creation (SQLite cascades)
    # pmid stays nullable and the identifier columns stay wide: narrowing could lose data.
