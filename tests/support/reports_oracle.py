"""The company report's pass counted the slow, obvious way: straight from the submissions.

portal/services/reports.py sums the submission tallies the database's triggers keep; this is
the definition those tallies must reproduce (tests/integration/test_submission_tallies.py), and
the baseline bench/company_report.py times the tallies against."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, func, literal, select

from portal.models import ReviewState, Submission, User, UTCDateTime, VideoStatus
from portal.services.reports import (AWAITING_REVIEW, REVIEW_WITHIN, SUBMITTED, SUBMITTED_AT, Period,
                                     _scoped_assignments)
from portal.services.sqltime import seconds_between


def _count_if(cond):
    return func.count().filter(cond)


def raw_facts_statement(user: User, scope: list, period: Period, now: datetime) -> Select:
    """One GROUP BY per (assignment, grader) over the submissions in the period, in the columns
    of reports._Fact."""
    cutoff = literal(now - REVIEW_WITHIN, UTCDateTime())
    return (select(Submission.assignment_id, Submission.graded_by_id, func.count(),
                   _count_if(Submission.student_enrolled),
                   *(_count_if(Submission.review_state == s.value) for s in ReviewState),
                   _count_if(Submission.attempt > 1),
                   _count_if(and_(Submission.attempt > 1, Submission.student_enrolled)),
                   _count_if(and_(Submission.status == VideoStatus.READY.value,
                                  Submission.review_state.in_(AWAITING_REVIEW), SUBMITTED_AT < cutoff)),
                   func.count(Submission.first_viewed_at), func.count(Submission.graded_at),
                   func.coalesce(func.sum(seconds_between(Submission.first_viewed_at, SUBMITTED_AT)), 0.0),
                   func.coalesce(func.sum(seconds_between(Submission.graded_at, SUBMITTED_AT)), 0.0))
            .where(Submission.assignment_id.in_(_scoped_assignments(user, scope)),
                   Submission.status.in_(SUBMITTED), *period.where(SUBMITTED_AT))
            .group_by(Submission.assignment_id, Submission.graded_by_id))
