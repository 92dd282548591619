"""Front desks working offline report to the station registry (issue #9).

``payload`` turns queued outbox items into self-contained upload items at push time,
``station`` applies them through the core use cases with a ledger for idempotency, ``push``
moves batches over a database connection, ``files`` carries the same batches through a gate,
``rates`` measures on-time reporting; ``outbox`` is what the desk queues.

May import every other subpackage of the registry (it is on top): it replays a desk's
records through the movements, people and places use cases.
"""
