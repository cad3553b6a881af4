"""Database models, one module per area."""

from .assessment import (
    AssessmentLeaderRow,
    AssessmentRun,
    AssessmentTaskRow,
    AssessmentUnitRow,
)
from .audit import AuditLog, LoginFailure
from .extension import Extension, ExtensionStatus
from .notification import JobRun, Notification
from .plan import Field, Plan, PlanKind, PlanStatus
from .task import (
    Amendment,
    Evidence,
    ProcessStep,
    ProgressUpdate,
    Task,
    task_coordinators,
)
from .unit import Unit
from .user import Role, User

__all__ = [
    "Amendment",
    "AssessmentLeaderRow",
    "AssessmentRun",
    "AssessmentTaskRow",
    "AssessmentUnitRow",
    "AuditLog",
    "Evidence",
    "Extension",
    "ExtensionStatus",
    "Field",
    "JobRun",
    "LoginFailure",
    "Notification",
    "Plan",
    "PlanKind",
    "PlanStatus",
    "ProcessStep",
    "ProgressUpdate",
    "Role",
    "Task",
    "Unit",
    "User",
    "task_coordinators",
]
