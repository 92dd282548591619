"""Persons and their documents: registering from a card read or typed data, correcting a
person, finding a person by a document number.

May import: ``registry.matching``, ``registry.privacy``, ``registry.identity``, ``registry.db``.
"""
