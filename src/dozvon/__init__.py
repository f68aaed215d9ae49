"""Dozvon: calls clinic patients for the clinic and writes the outcome back to its MIS."""

__version__ = "0.1.0"
