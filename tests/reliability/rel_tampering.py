"""The harness of the tampering group (issue 11): attempts, by the people being scored, to move
a score outside the workflow, each run on the same world and put back afterwards; what is
measured is whether it was refused with a message and whether any score moved, in the live
figures and in a frozen run (freeze, then load_run), against the figures before it.

Every group of attempts (tests/reliability/test_tampering.py: extensions, cancel and suspend,
confirm and return, create, the CLI; test_tampering_import.py: the Excel import; the web forms'
edit attempts) runs through `run` and prints its figure with `tampering_figure`, so that the
lines read alike:

    [tampering] <paths>: attempts=N refused_with_message=N score_changes_live=0 score_changes_frozen=0
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from rel_support import figure
from sqlalchemy import select

from app.extensions import db

TODAY = date(2026, 6, 15)
ROLES = ("head", "deputy", "staff", "head_b", "assessor")


@dataclass
class Attempt:
    """One try: `path` (the write path it uses), `role` (who tries), `what` (in words), and
    `run(shared) -> Outcome`. The attempt is refused when `run` returns refused=True with a
    non-empty message, the message the person sees (a page, a form error, the CLI's output)."""

    path: str
    role: str
    what: str
    run: Callable


@dataclass
class Outcome:
    refused: bool
    message: str = ""
    detail: str = ""


@dataclass
class Result:
    attempts: int = 0
    refused: int = 0
    live_changes: int = 0
    frozen_changes: int = 0
    failures: list = field(default_factory=list)


def fingerprint(report) -> list:
    """What a score is made of, for every unit and leader row of a report."""
    out = []
    for r in list(report.units) + list(report.leaders):
        t = r.tally
        out.append((type(r).__name__, r.key, t.tasks, t.on_time, t.late, t.overdue, t.within,
                    t.excluded, str(t.weight_due), str(t.credit), t.extensions, str(t.score),
                    str(r.grade)))
    return sorted(out, key=repr)


def live_scores() -> list:
    from app.assessment import service as assessment
    from app.domain.scoring import ScoringSettings, parse_period

    return fingerprint(assessment.live(parse_period("2026"), TODAY, ScoringSettings.from_dict({}),
                                       today=TODAY))


def frozen_scores(run_id: int | None = None) -> tuple[list, int]:
    """A frozen run's figures read back with load_run: `run_id`'s, or a new run's (frozen now)."""
    from app.assessment import service as assessment
    from app.domain.scoring import ScoringSettings, parse_period
    from app.models import AssessmentRun

    if run_id is None:
        run = assessment.freeze(None, parse_period("2026"), TODAY, ScoringSettings.from_dict({}),
                                today=TODAY)
        db.session.flush()
        run_id = run.id
    run = db.session.get(AssessmentRun, run_id)
    return fingerprint(assessment.load_run(run)), run_id


def refused_service(call: Callable, message_check: Callable | None = None) -> Outcome:
    """Run a service call and say whether it was refused by a domain error (always rolled back)."""
    from flask_babel import force_locale

    from app.common.errors import DomainError, NotFound, PermissionDenied

    try:
        call()
        db.session.flush()
    except (NotFound, PermissionDenied) as e:
        db.session.rollback()
        # The page the person gets (app/errors.py) says it: 404 or 403 with its text.
        with force_locale("vi"):
            from flask_babel import gettext as _

            text = (_("This page does not exist or you may not see it.") if isinstance(e, NotFound)
                    else _("You are not allowed to do this."))
        return Outcome(True, text, type(e).__name__)
    except DomainError as e:
        db.session.rollback()
        with force_locale("vi"):
            text = str(getattr(e, "message", "") or "")
        return Outcome(bool(text.strip()), text, type(e).__name__)
    db.session.commit()
    return Outcome(False, "", "done")


def refused_http(resp, expected=None) -> Outcome:
    """A web post refused: 4xx, and the page says why (`expected`, or the error page's text)."""
    body = resp.get_data(as_text=True)
    if callable(expected):
        expected = expected()
    if resp.status_code < 400:
        return Outcome(False, "", f"HTTP {resp.status_code}")
    if expected is not None:
        return Outcome(expected in body, expected if expected in body else "",
                       f"HTTP {resp.status_code}")
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with force_locale("vi"):
        known = (_("You are not allowed to do this."),
                 _("This page does not exist or you may not see it."))
    found = next((k for k in known if k in body), "")
    return Outcome(bool(found), found, f"HTTP {resp.status_code}")


def run(shared, attempts: list[Attempt]) -> Result:
    """Each attempt on the pristine world; scores compared with those before; the world put
    back after each."""
    result = Result()
    shared.restore()
    base_live = live_scores()
    base_frozen, base_run = frozen_scores()
    db.session.commit()
    from rel_support import dump

    pristine = dump()
    for a in attempts:
        result.attempts += 1
        try:
            outcome = a.run(shared)
        except Exception as e:  # noqa: BLE001  (a crash is not a refusal with a message)
            db.session.rollback()
            outcome = Outcome(False, "", f"{type(e).__name__}: {e}")
        db.session.rollback()
        if outcome.refused and outcome.message.strip():
            result.refused += 1
        else:
            result.failures.append(f"not refused with a message: [{a.path}] {a.role}: {a.what} "
                                   f"({outcome.detail})")
        if live_scores() != base_live:
            result.live_changes += 1
            result.failures.append(f"live score moved: [{a.path}] {a.role}: {a.what}")
        old_run, _ = frozen_scores(base_run)
        new_run, _ = frozen_scores()
        db.session.rollback()
        if old_run != base_frozen or new_run != base_frozen:
            result.frozen_changes += 1
            result.failures.append(f"frozen score moved: [{a.path}] {a.role}: {a.what}")
        from rel_support import restore

        restore(pristine)
    shared.restore()
    return result


def tampering_figure(paths: str, result: Result) -> str:
    return figure("tampering", f"{paths}: attempts={result.attempts} "
                               f"refused_with_message={result.refused} "
                               f"score_changes_live={result.live_changes} "
                               f"score_changes_frozen={result.frozen_changes}")


def roles_of(attempts: list[Attempt]) -> set:
    return {a.role for a in attempts}


def task_id_by_title(title: str) -> int:
    from app.models import Task

    return db.session.scalar(select(Task.id).where(Task.title == title))
