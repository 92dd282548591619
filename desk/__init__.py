"""The desk page (``laiqu desk``): a hotel front desk in the browser, served on 127.0.0.1.

- ``reader``: the reading loop in its own thread (no database), cards by opaque token;
- ``service``: the page's actions, each one short transaction through the core;
- ``app``: the HTTP routes (FastAPI/Starlette), ``static/``: the page (plain HTML/CSS/JS);
- ``slip``: the printable registration slip (reportlab, embedded CJK font);
- ``status``: the upload state; ``config``: the venue and reader a desk remembers;
- ``errors``: refusals as Chinese sentences, the SQLite busy wait.

May import: ``registry``, ``drivers``, ``reports``; never ``cli``.
"""
