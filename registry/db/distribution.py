"""How each table is placed on a sharded PostgreSQL (Citus): the one declaration of it.

``docs/scale.md`` explains the plan; ``tests/registry/test_distribution.py`` checks the
schema the migrations build against the rules Citus sets (Citus documentation, "Distributed
tables", "Co-location", "Reference tables"; performance.md §4.3):

* a distributed table's primary key and every unique key contain its distribution column,
  which is NOT NULL;
* a foreign key between distributed tables joins tables of one co-location group and
  includes the distribution column on both sides; a distributed table may point at a
  reference table, a reference table never at a distributed one.

Shapes: ``TABLES`` maps a table name to a ``Placement``: ``kind`` is ``distributed``,
``reference`` (copied to every node; small, rarely written) or ``local`` (kept on the
coordinator, or only on a desk); ``column`` and ``group`` are set for distributed tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["distributed", "reference", "local"]


@dataclass(frozen=True)
class Placement:
    kind: Kind
    column: str | None = None
    group: str | None = None
    why: str = ""


def _person(column: str = "person_id", why: str = "") -> Placement:
    return Placement("distributed", column, "person", why)


def _place(why: str = "") -> Placement:
    return Placement("distributed", "jurisdiction_code", "place", why)


def _reference(why: str) -> Placement:
    return Placement("reference", why=why)


def _local(why: str) -> Placement:
    return Placement("local", why=why)


TABLES: dict[str, Placement] = {
    # Person-centric: a person and everything that belongs to them, on one shard.
    "persons": _person("id", "the person; found by number through natural_keys"),
    "documents": _person(why="a person's identity documents"),
    "stays": _person(why="a guest's hotel stays (check-in writes one shard here)"),
    "studies": _person(why="a person's schooling (residence-permit eligibility)"),
    "permits": _person(why="residence permits"),
    "permit_endorsements": _person(why="a permit's yearly endorsements"),
    # Place-centric: a jurisdiction's houses and who lives and works there.
    "houses": _place("rental houses of a jurisdiction"),
    "residences": _place("who lives in a house: follows the house's jurisdiction"),
    "employments": _place("who works where: the employer's jurisdiction"),
    "findings": _place("the jurisdiction's work list of the three matchings"),
    # Own distribution columns.
    "natural_keys": Placement(
        "distributed", "key", "natural_keys", "registry-wide unique keys (reverse index)"
    ),
    "events": Placement("distributed", "id", "events", "the append-only journal, spread evenly"),
    "sync_ledger": Placement(
        "distributed", "venue_id", "venue", "applied upload items; a batch is one venue's"
    ),
    "sync_heartbeats": Placement("distributed", "venue_id", "venue", "a venue's daily signs"),
    # Reference: small, rarely written, joined from both groups.
    "jurisdictions": _reference("the city → grid tree"),
    "venues": _reference("hotels and service points (tens of thousands per province)"),
    "rooms": _reference("rooms of the venues"),
    "rules": _reference("per-jurisdiction rule settings"),
    "employers": _reference("employers: written rarely, joined from employments"),
    "registry_users": _reference("users and their scopes"),
    "managed_houses": _reference("houses an intermediary manages"),
    "api_passwords": _reference("service credentials"),
    "api_tokens": _reference("device tokens"),
    "retention_holds": _reference("legal holds: few, read by every purge"),
    "reference_version": _reference("the reference-data version counter"),
    # Local: one writer's log or a desk's own tables.
    "audit_log": _local("the audit chain, appended by the coordinator's chainer"),
    "audit_subjects": _local("whose records an audit entry touched"),
    "audit_head": _local("the chain's head"),
    "audit_pending": _local("audit entries written, not yet chained"),
    "audit_key": _local("the audit MAC key"),
    "outbox": _local("a desk's upload queue (desk SQLite)"),
    "sync_capture_off": _local("switch of the desk's capture triggers"),
    "alembic_version": _local("the schema version"),
}


def distributed() -> dict[str, Placement]:
    """The distributed tables only."""
    return {name: p for name, p in TABLES.items() if p.kind == "distributed"}
