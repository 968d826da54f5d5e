"""The patrol roster's types: what storing a roster did, and the error of a patrol record.

The SQL (``patrol_members``) is in :mod:`geo_service.patrol.store`.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_service.ingest import IngestError


class PatrolError(IngestError):
    """A patrol record cannot be stored as asked; the message says why."""


@dataclass(frozen=True)
class RosterSummary:
    """What storing a roster did."""

    inserted: int
    updated: int
    unchanged: int

    def lines(self) -> list[str]:
        """Human-readable report."""
        return [f"patrol members: {self.inserted} new, {self.updated} updated, "
                f"{self.unchanged} unchanged"]
