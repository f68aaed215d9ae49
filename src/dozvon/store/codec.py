"""Between core values and the JSON columns that hold them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from dozvon.core.outcome import Evidence, HangupBy, Outcome
from dozvon.mis.base import OutcomeRecord


def evidence_to_json(evidence: Evidence) -> dict[str, Any]:
    data: dict[str, Any] = asdict(evidence)
    data["steps"] = list(evidence.steps)
    data["hangup_by"] = evidence.hangup_by.value if evidence.hangup_by else None
    return data


def evidence_from_json(data: dict[str, Any]) -> Evidence:
    hangup = data.get("hangup_by")
    return Evidence(
        sip_status=data.get("sip_status"),
        digits=data.get("digits", ""),
        recognised_text=data.get("recognised_text", ""),
        ring_seconds=data.get("ring_seconds", 0.0),
        talk_seconds=data.get("talk_seconds", 0.0),
        hangup_by=HangupBy(hangup) if hangup else None,
        recording_offset=data.get("recording_offset"),
        steps=tuple(data.get("steps", ())),
        notes=dict(data.get("notes", {})),
    )


def fingerprint(record: Any) -> str:
    """SHA-256 of a JSON-ready record (`jsonable`, or `describe` of an appointment) as
    canonical JSON: equal exactly when the MIS sent the same data."""
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def outcome_record_to_json(record: OutcomeRecord) -> dict[str, Any]:
    """The outbox payload: everything a Sink needs, so write-back never reads other tables."""
    return {
        "appointment_id": record.appointment_id,
        "attempt": record.attempt,
        "outcome": record.outcome.value,
        "evidence": evidence_to_json(record.evidence),
        "attempts_total": record.attempts_total,
        "finished_at": record.finished_at.isoformat(),
        "channel": record.channel,
    }


def outcome_record_from_json(data: dict[str, Any]) -> OutcomeRecord:
    return OutcomeRecord(
        appointment_id=data["appointment_id"],
        attempt=data["attempt"],
        outcome=Outcome(data["outcome"]),
        evidence=evidence_from_json(data["evidence"]),
        attempts_total=data["attempts_total"],
        finished_at=datetime.fromisoformat(data["finished_at"]),
        channel=data.get("channel", "voice"),
    )
