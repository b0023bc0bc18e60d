"""Every table, imported in one place so Alembic and tests see the whole schema."""

from kizuna.accounts.models import ApiKey, AuditEvent, LoginFailure, Membership, User, Workspace
from kizuna.customers.models import (
    Customer,
    CustomerMerge,
    CustomerScore,
    Identity,
    IdentityDigest,
    Interaction,
    LifecycleSnapshot,
    Segment,
)
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.ingest.models import ImportRejection, ImportRun
from kizuna.jobs.models import Job
from kizuna.text.models import TextModel

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Customer",
    "CustomerMerge",
    "CustomerScore",
    "Feedback",
    "FeedbackAnalysis",
    "Identity",
    "IdentityDigest",
    "ImportRejection",
    "ImportRun",
    "Interaction",
    "Job",
    "LifecycleSnapshot",
    "LoginFailure",
    "Membership",
    "Segment",
    "TextModel",
    "User",
    "Workspace",
]
