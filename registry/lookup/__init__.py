"""Look-ups: the indexed search tiers (ID number, suffix, pinyin, initials, names,
addresses) and the records a user reads (a person, their history, a venue's guests).

May import: ``registry.places``, ``registry.people`` and below.
"""
