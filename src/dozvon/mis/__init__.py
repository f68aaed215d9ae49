"""Clinic systems: read the worklist (`Source`) and write outcomes back (`Sink`)."""

from dozvon.mis.base import MisError, OutcomeRecord, RowError, Sink, Source, Window

__all__ = ["MisError", "OutcomeRecord", "RowError", "Sink", "Source", "Window"]
