"""Ways to reach a person: each turns one attempt on a task into an Outcome with evidence."""

from dozvon.channels.base import AttemptResult, ContactChannel

__all__ = ["AttemptResult", "ContactChannel"]
