"""The monthly residence-registration report (PDF): ``content`` runs the aggregate queries
(``queries``, ``permits``) into ``figures``, ``sections`` lays them out with ``layout``'s
tables and series, and ``pdf`` draws them with reportlab and an embedded CJK font.

May import the registry (its use cases, models and rules); nothing of ``cli`` or ``drivers``.
"""
