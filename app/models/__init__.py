"""Database models, one module per area."""

from app.models.assessment import (
    AssessmentLeaderRow,
    AssessmentRun,
    AssessmentTaskRow,
    AssessmentUnitRow,
)
from app.models.audit import AuditLog, LoginFailure
from app.models.data_version import DataVersion
from app.models.extension import Extension, ExtensionStatus
from app.models.notification import JobRun, Notification
from app.models.plan import Field, Plan, PlanKind, PlanStatus
from app.models.quality import (
    Criterion,
    IndicatorSet,
    QualityEvidence,
    QualityExplanation,
    QualityScore,
    QualitySheet,
)
from app.models.recurring import RecurringRule
from app.models.tally import TaskTally
from app.models.task import (
    Amendment,
    Evidence,
    ProcessStep,
    ProgressUpdate,
    Task,
    task_coordinator_contacts,
    task_coordinators,
)
from app.models.token import ApiToken, CalendarFeed
from app.models.unit import Unit
from app.models.user import Role, User

__all__ = [
    "Amendment",
    "ApiToken",
    "AssessmentLeaderRow",
    "AssessmentRun",
    "AssessmentTaskRow",
    "AssessmentUnitRow",
    "AuditLog",
    "CalendarFeed",
    "Criterion",
    "DataVersion",
    "Evidence",
    "Extension",
    "ExtensionStatus",
    "Field",
    "IndicatorSet",
    "JobRun",
    "LoginFailure",
    "Notification",
    "Plan",
    "PlanKind",
    "PlanStatus",
    "ProcessStep",
    "ProgressUpdate",
    "QualityEvidence",
    "QualityExplanation",
    "QualityScore",
    "QualitySheet",
    "RecurringRule",
    "Role",
    "Task",
    "TaskTally",
    "Unit",
    "User",
    "task_coordinator_contacts",
    "task_coordinators",
]
