"""Phone numbers never reach the log whole (patient data): SIP user parts and the input quoted
by parse errors are masked with dozvon.core.phone.mask_phone."""

from __future__ import annotations

import re

from dozvon.core.phone import mask_phone

_DIGIT_RUN = re.compile(r"\+?\d[\d\-() ]{4,}\d")


def mask_user(uri_user: str) -> str:
    """A SIP user part is often a phone number: never log it whole."""
    return mask_phone(uri_user) if any(c.isdigit() for c in uri_user) else uri_user


def mask_numbers(text: str) -> str:
    """Parse errors quote the faulty input, which may hold a phone number: mask digit runs."""
    return _DIGIT_RUN.sub(lambda match: mask_phone(match.group()), text)
