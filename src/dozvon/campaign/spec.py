"""One campaign's rules as the engine uses them, built from the config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dozvon.campaign.plan import ChannelPlan
from dozvon.core.rules import CallingHours, ContactCap, Purpose, RetryPolicy


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    name: str
    scenario: Any = None
    """The dialog scenario the channel runs; opaque to the dispatcher."""
    hours: CallingHours = field(default_factory=CallingHours)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    cap: ContactCap = field(default_factory=ContactCap)
    purpose: Purpose = Purpose.SERVICE
    plan: ChannelPlan = field(default_factory=ChannelPlan)
    priority: int = 0
    """Higher is called first among tasks whose appointments start at the same time."""
