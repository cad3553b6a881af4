"""Shared column helpers."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC instant: every `*_at` column stores UTC without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)
