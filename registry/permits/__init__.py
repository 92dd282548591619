"""Residence permits (居住证暂行条例, 2016): eligibility explained, issue, the yearly
endorsement and the due and suspended lists.

May import: ``registry.places``, ``registry.people`` and everything below them; not movements.
"""
