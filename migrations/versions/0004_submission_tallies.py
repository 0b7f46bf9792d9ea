"""company reports read submission tallies per assignment, grader and day, kept by triggers

The company report summed 100,000 submissions per view (44 ms for its GROUP BY alone on the
bench machine, 90-125 ms for the report). submission_tallies holds the same counts already
summed per (assignment, grader, UTC day of submission); triggers on submissions keep it exact
for every write, ORM or bulk SQL, in the writer's own transaction. A row whose submissions all
went (deleted, failed, moved) is removed, so the table holds no zero rows and no orphans.

SQLite rebuilds a table for most ALTERs (batch mode) and drops its triggers with it: a later
migration that batch-alters submissions must create these triggers again (trigger_sql below).
tests/integration/test_submission_tallies.py fails if the tallies and the submissions disagree.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SUBMITTED = "('processing', 'ready', 'deleted')"     # reports.SUBMITTED: the video reached Stream
KEY = ("assignment_id", "grader_id", "day")
COUNTS = ("submissions", "enrolled", "new", "in_review", "approved", "resubmit", "resubmissions",
          "enrolled_resubmissions", "ready_awaiting", "viewed", "graded")
SUMS = ("view_seconds", "grade_seconds")


def contributions(r: str, dialect: str) -> dict[str, str]:
    """What one submission row `r` (NEW, OLD or the table) adds to its tally, as SQL: the same
    expressions as the report's definition over raw rows (services/reports.py, sqltime.py)."""
    at = f"coalesce({r}.uploaded_at, {r}.created_at)"
    if dialect == "postgresql":
        flag = "CAST(({}) AS integer)".format
        day = f"CAST(timezone('UTC', {at}) AS date)"
        seconds = lambda later: f"coalesce(date_part('epoch', {later} - {at}), 0)"   # noqa: E731
    else:
        flag = "({})".format                           # SQLite: a comparison is 0 or 1
        day = f"date({at})"
        seconds = lambda later: f"coalesce((julianday({later}) - julianday({at})) * 86400.0, 0)"  # noqa: E731
    return {
        "assignment_id": f"{r}.assignment_id",
        "grader_id": f"coalesce({r}.graded_by_id, 0)",     # 0: nobody graded it (yet)
        "day": day,
        "submissions": "1",
        "enrolled": flag(f"{r}.student_enrolled"),
        "new": flag(f"{r}.review_state = 'new'"),
        "in_review": flag(f"{r}.review_state = 'in_review'"),
        "approved": flag(f"{r}.review_state = 'approved'"),
        "resubmit": flag(f"{r}.review_state = 'resubmit'"),
        "resubmissions": flag(f"{r}.attempt > 1"),
        "enrolled_resubmissions": flag(f"{r}.attempt > 1 AND {r}.student_enrolled"),
        "ready_awaiting": flag(f"{r}.status = 'ready' AND {r}.review_state IN ('new', 'in_review')"),
        "viewed": flag(f"{r}.first_viewed_at IS NOT NULL"),
        "graded": flag(f"{r}.graded_at IS NOT NULL"),
        "view_seconds": seconds(f"{r}.first_viewed_at"),
        "grade_seconds": seconds(f"{r}.graded_at"),
    }


def _add(r: str, dialect: str, where: str = "") -> str:
    c = contributions(r, dialect)
    columns = ", ".join(c)
    select = ", ".join(c.values())
    # SQLite reads "SELECT … ON CONFLICT" only after a WHERE clause
    source = f"SELECT {select} WHERE {where or 'true'}"
    sets = ", ".join(f"{n} = submission_tallies.{n} + excluded.{n}" for n in (*COUNTS, *SUMS))
    return (f"INSERT INTO submission_tallies ({columns}) {source} "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets}")


def _remove(r: str, dialect: str, where: str = "") -> list[str]:
    c = contributions(r, dialect)
    # columns qualified: in PL/pgSQL a bare "new" would be the NEW row
    match = " AND ".join(f"submission_tallies.{k} = {c[k]}" for k in KEY) + (f" AND {where}" if where else "")
    sets = ", ".join(f"{n} = submission_tallies.{n} - {c[n]}" for n in (*COUNTS, *SUMS))
    return [f"UPDATE submission_tallies SET {sets} WHERE {match}",
            f"DELETE FROM submission_tallies WHERE {match} AND submission_tallies.submissions = 0"]


# the columns the contributions read: an UPDATE of any other column changes no tally
WATCHED = ("assignment_id", "status", "review_state", "attempt", "student_enrolled", "created_at",
           "uploaded_at", "first_viewed_at", "graded_at", "graded_by_id")


def trigger_sql(dialect: str) -> list[str]:
    watched = ", ".join(WATCHED)
    if dialect == "postgresql":
        remove = ";\n    ".join(_remove("OLD", dialect))
        old_key, new_key = (", ".join(contributions(r, dialect)[k] for k in KEY) for r in ("OLD", "NEW"))
        return [f"""
CREATE FUNCTION submission_tallies_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A submission moving to another tally (grader, day) locks the two tally rows in key order,
  -- so that two writers moving submissions between the same tallies cannot deadlock.
  IF TG_OP = 'UPDATE' AND OLD.status IN {SUBMITTED} AND NEW.status IN {SUBMITTED}
     AND ROW({old_key}) < ROW({new_key}) THEN
    {remove};
    {_add("NEW", dialect)};
    RETURN NULL;
  END IF;
  -- otherwise the new row first: an update within one tally never empties it on the way
  IF TG_OP <> 'DELETE' AND NEW.status IN {SUBMITTED} THEN
    {_add("NEW", dialect)};
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.status IN {SUBMITTED} THEN
    {remove};
  END IF;
  RETURN NULL;
END $$""", f"""
CREATE TRIGGER submission_tallies_keep
AFTER INSERT OR DELETE OR UPDATE OF {watched} ON submissions
FOR EACH ROW EXECUTE FUNCTION submission_tallies_keep()"""]
    old_submitted = f"OLD.status IN {SUBMITTED}"
    return [f"""
CREATE TRIGGER submission_tallies_insert AFTER INSERT ON submissions
WHEN NEW.status IN {SUBMITTED} BEGIN
  {_add("NEW", dialect)};
END""", f"""
CREATE TRIGGER submission_tallies_update AFTER UPDATE OF {watched} ON submissions BEGIN
  {_add("NEW", dialect, f"NEW.status IN {SUBMITTED}")};
  {";  ".join(_remove("OLD", dialect, old_submitted))};
END""", f"""
CREATE TRIGGER submission_tallies_delete AFTER DELETE ON submissions
WHEN {old_submitted} BEGIN
  {";  ".join(_remove("OLD", dialect))};
END"""]


def backfill_sql(dialect: str) -> str:
    c = contributions("submissions", dialect)
    sums = ", ".join([f"sum({c[n]})" for n in (*COUNTS, *SUMS)])
    keys = ", ".join(c[k] for k in KEY)
    return (f"INSERT INTO submission_tallies ({', '.join(c)}) SELECT {keys}, {sums} FROM submissions "
            f"WHERE status IN {SUBMITTED} GROUP BY {keys}")


def upgrade():
    op.create_table(
        'submission_tallies',
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('grader_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        *(sa.Column(n, sa.Integer(), nullable=False) for n in COUNTS),
        *(sa.Column(n, sa.Float(), nullable=False) for n in SUMS),
        sa.PrimaryKeyConstraint('assignment_id', 'grader_id', 'day', name=op.f('pk_submission_tallies')),
    )
    dialect = op.get_bind().dialect.name
    op.execute(backfill_sql(dialect))
    for statement in trigger_sql(dialect):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER submission_tallies_keep ON submissions")
        op.execute("DROP FUNCTION submission_tallies_keep()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER submission_tallies_{name}")
    op.drop_table('submission_tallies')
