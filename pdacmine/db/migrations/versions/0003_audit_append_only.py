"""review_audit is append-only: triggers reject UPDATE and DELETE

Revision ID: 0003
Revises: 0002

The audit trail of human review decisions must never change after the fact, whoever
connects to the database (pdacmine, psql, a spreadsheet tool). TRUNCATE is left allowed on
PostgreSQL: it needs table ownership and is how test suites and full resets empty a schema.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MESSAGE = "review_audit is append-only: audit rows cannot be changed or deleted"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER review_audit_no_{event.lower()} BEFORE {event} ON review_audit "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION review_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER review_audit_append_only BEFORE UPDATE OR DELETE ON review_audit "
            "FOR EACH ROW EXECUTE FUNCTION review_audit_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS review_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS review_audit_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS review_audit_append_only ON review_audit")
        op.execute("DROP FUNCTION IF EXISTS review_audit_append_only()")
