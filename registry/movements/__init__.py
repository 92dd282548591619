"""Movements: hotel stays (check-in/out, single and batched), residences (move-in/out),
employments, studies, and overdue residences.

May import: ``registry.places``, ``registry.people`` and everything below them.
"""
