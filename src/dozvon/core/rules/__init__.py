"""Pure rules: when, how often and by which channel a person may be contacted."""

from dozvon.core.rules.caps import ContactCap
from dozvon.core.rules.consent import Purpose, may_use_channel
from dozvon.core.rules.eligibility import Refusal, check_contact
from dozvon.core.rules.hours import CallingHours
from dozvon.core.rules.retry import OutcomeRetry, RetryPolicy

__all__ = [
    "CallingHours",
    "ContactCap",
    "OutcomeRetry",
    "Purpose",
    "Refusal",
    "RetryPolicy",
    "check_contact",
    "may_use_channel",
]
