"""Every table, imported in one place so Alembic and tests see the whole schema."""

from kizuna.accounts.models import ApiKey, AuditEvent, Membership, User, Workspace
from kizuna.customers.models import Customer, Identity, Interaction
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.ingest.models import ImportRejection, ImportRun
from kizuna.jobs.models import Job
from kizuna.text.models import TextModel

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Customer",
    "Feedback",
    "FeedbackAnalysis",
    "Identity",
    "ImportRejection",
    "ImportRun",
    "Interaction",
    "Job",
    "Membership",
    "TextModel",
    "User",
    "Workspace",
]
