"""Look-ups: the indexed search tiers (ID number, suffix, pinyin, initials, names,
addresses) and the records a user reads (a person, their history, a venue's guests), and
the desk page's view of a hotel (``desk``: rooms with occupancy, arrivals, departures).

May import: ``registry.places``, ``registry.people`` and below.
"""
