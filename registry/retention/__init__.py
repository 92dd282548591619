"""Retention (PIPL Arts 19, 47): the periods in force, the purge plan, the purge that
de-identifies or deletes what is due, and legal holds.

May import: ``registry.matching`` (rules), ``registry.privacy`` and below.
"""
