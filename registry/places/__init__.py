"""Places: the jurisdiction tree, venues (hotels, intermediaries, stations) and rooms, houses
and employers; their registration, updates and the resolvers where a scoped user is refused.

May import: ``registry.people`` (landlords), ``registry.matching``, ``registry.privacy``,
``registry.identity``, ``registry.db``.
"""
