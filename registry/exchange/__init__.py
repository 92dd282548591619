"""Exchange of records with files: CSV import and export (encodings, validation,
formula neutralising) and the bulk loader (COPY / executemany).

May import: ``registry.movements``, ``registry.places``, ``registry.people`` and below.
"""
