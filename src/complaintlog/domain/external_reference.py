"""An index from a CRM's own reference to the complaint it names.

The index is an aggregate whose id is derived from the reference, saved in the same
transaction as the complaint's ``Received`` event. Two writers registering one reference
therefore collide in the store itself, and ``find(external_ref)`` is one keyed read.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

__all__ = ["ExternalReference"]

_NAMESPACE = UUID("0b6e8a2c-51e7-4c3e-9f0a-2f4f6b1d9c33")


class ExternalReference(Aggregate):
    """``external_ref`` -> complaint id, unique by construction."""

    class Registered(Aggregate.Created):
        external_ref: str
        complaint_id: UUID

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ExternalReference)
            aggregate.external_ref = self.external_ref
            aggregate.complaint_id = self.complaint_id

    def __init__(self) -> None:
        self.external_ref: str
        self.complaint_id: UUID

    @classmethod
    def register(
        cls, external_ref: str, complaint_id: UUID, recorded_at: datetime
    ) -> ExternalReference:
        return cls._create(
            cls.Registered,
            id=cls.id_for(external_ref),
            timestamp=recorded_at,
            external_ref=external_ref,
            complaint_id=complaint_id,
        )

    @staticmethod
    def id_for(external_ref: str) -> UUID:
        return uuid5(_NAMESPACE, f"external-ref:{external_ref}")
