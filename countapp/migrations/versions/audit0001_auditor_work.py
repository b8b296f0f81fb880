"""The auditor's own work: samples and the audit round, floor records, confirmations, log seals.

Every table is evidence: rows are added, never changed or deleted (triggers, as for counts).

Revision ID: audit0001
Revises: b1c0ffee0001
"""
import sqlalchemy as sa
from alembic import op

revision = "audit0001"
down_revision = "b1c0ffee0001"
branch_labels = None
depends_on = None

TABLES = ("audit_sample", "audit_sample_line", "audit_count", "audit_floor_record", "audit_confirmation",
          "audit_seal")
QTY = sa.Numeric(18, 4)
COST = sa.Numeric(18, 6)
MONEY = sa.Numeric(18, 2)


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _create_tables():
    op.create_table(
        "audit_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("key_count", sa.Integer(), nullable=False),
        sa.Column("key_threshold", MONEY, nullable=True),
        sa.Column("random_count", sa.Integer(), nullable=False),
        sa.Column("population_count", sa.Integer(), nullable=False),
        sa.Column("population_value", MONEY, nullable=False),
        sa.Column("random_population_count", sa.Integer(), nullable=False),
        sa.Column("random_population_value", MONEY, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("direction IN ('sheet_to_floor', 'floor_to_sheet')", name=op.f("ck_audit_sample_direction")),
        sa.CheckConstraint("number > 0", name=op.f("ck_audit_sample_number_positive")),
        sa.CheckConstraint("key_count >= 0 AND random_count >= 0", name=op.f("ck_audit_sample_sizes_not_negative")),
        _fk("audit_sample", "campaign_id", "campaign"),
        _fk("audit_sample", "created_by_id", "user_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_sample")),
        sa.UniqueConstraint("campaign_id", "number", name=op.f("uq_audit_sample_campaign_id_number")),
    )
    op.create_index(op.f("ix_audit_sample_campaign_id"), "audit_sample", ["campaign_id"])

    op.create_table(
        "audit_sample_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stratum", sa.String(length=10), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("book_line_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("lot", sa.String(length=80), nullable=False),
        sa.Column("book_qty", QTY, nullable=True),
        sa.Column("unit_cost", COST, nullable=False),
        sa.Column("value", MONEY, nullable=False),
        sa.Column("rank", sa.String(length=64), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stratum IN ('key', 'random', 'chosen')", name=op.f("ck_audit_sample_line_stratum")),
        sa.CheckConstraint("position > 0", name=op.f("ck_audit_sample_line_position_positive")),
        sa.CheckConstraint("ticket_id IS NOT NULL OR book_line_id IS NOT NULL OR "
                           "(item_id IS NOT NULL AND location_id IS NOT NULL)",
                           name=op.f("ck_audit_sample_line_names_what")),
        _fk("audit_sample_line", "sample_id", "audit_sample"),
        _fk("audit_sample_line", "ticket_id", "ticket"),
        _fk("audit_sample_line", "book_line_id", "book_line"),
        _fk("audit_sample_line", "item_id", "item"),
        _fk("audit_sample_line", "location_id", "location"),
        _fk("audit_sample_line", "added_by_id", "user_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_sample_line")),
        sa.UniqueConstraint("sample_id", "position", name=op.f("uq_audit_sample_line_sample_id_position")),
        sa.UniqueConstraint("sample_id", "ticket_id", name=op.f("uq_audit_sample_line_sample_id_ticket_id")),
        sa.UniqueConstraint("sample_id", "book_line_id", name=op.f("uq_audit_sample_line_sample_id_book_line_id")),
    )
    op.create_index(op.f("ix_audit_sample_line_sample_id"), "audit_sample_line", ["sample_id"])

    op.create_table(
        "audit_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("state", sa.Enum("good", "damaged", "obsolete", "expired", name="audit_count_state",
                                   native_enum=False, create_constraint=True, length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("counted_by_id", sa.Integer(), nullable=True),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_audit_count_quantity_not_negative")),
        sa.CheckConstraint("supersedes_id IS NULL OR length(correction_reason) > 0",
                           name=op.f("ck_audit_count_correction_has_reason")),
        _fk("audit_count", "line_id", "audit_sample_line"),
        _fk("audit_count", "counted_by_id", "user_account"),
        _fk("audit_count", "supersedes_id", "audit_count"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_count")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_audit_count_supersedes_id")),
    )
    op.create_index(op.f("ix_audit_count_line_id"), "audit_count", ["line_id"])
    op.create_index("uq_audit_count_line_original", "audit_count", ["line_id"], unique=True,
                    sqlite_where=sa.text("supersedes_id IS NULL"), postgresql_where=sa.text("supersedes_id IS NULL"))

    op.create_table(
        "audit_floor_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.Integer(), nullable=False),
        sa.Column("last_seen", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("first_seen > 0 AND last_seen > 0", name=op.f("ck_audit_floor_record_numbers_positive")),
        _fk("audit_floor_record", "campaign_id", "campaign"),
        _fk("audit_floor_record", "team_id", "team"),
        _fk("audit_floor_record", "recorded_by_id", "user_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_floor_record")),
    )
    op.create_index(op.f("ix_audit_floor_record_campaign_id"), "audit_floor_record", ["campaign_id"])

    op.create_table(
        "audit_confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("book_line_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("confirmed_qty", QTY, nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("confirmed_qty >= 0", name=op.f("ck_audit_confirmation_quantity_not_negative")),
        _fk("audit_confirmation", "campaign_id", "campaign"),
        _fk("audit_confirmation", "book_line_id", "book_line"),
        _fk("audit_confirmation", "recorded_by_id", "user_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_confirmation")),
    )
    op.create_index(op.f("ix_audit_confirmation_campaign_id"), "audit_confirmation", ["campaign_id"])
    op.create_index(op.f("ix_audit_confirmation_book_line_id"), "audit_confirmation", ["book_line_id"])

    op.create_table(
        "audit_seal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_by_id", sa.Integer(), nullable=True),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seq > 0", name=op.f("ck_audit_seal_seq_positive")),
        _fk("audit_seal", "campaign_id", "campaign"),
        _fk("audit_seal", "sealed_by_id", "user_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seal")),
    )
    op.create_index(op.f("ix_audit_seal_campaign_id"), "audit_seal", ["campaign_id"])


def upgrade():
    _create_tables()
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "sqlite":
            for operation in ("DELETE", "UPDATE"):
                op.execute(f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, 'countapp: {table} rows are never changed or deleted'); END")
        elif dialect == "postgresql":
            # countapp_refuse_change() comes with b1c0ffee0001.
            op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "{table}" '
                       "FOR EACH ROW EXECUTE FUNCTION countapp_refuse_change()")


def downgrade():
    for table in reversed(TABLES):
        op.drop_table(table)  # its triggers go with it
