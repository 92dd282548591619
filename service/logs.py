"""Logging that never carries a full ID number (PIPL; design.md "Security and privacy").

Every line the service writes (uvicorn's access and error logs, tracebacks included) passes
through ``scrub``: anything shaped like a resident, HK/Macao/Taiwan or foreign permanent
resident number is masked with ``registry.identity.ids.mask`` (region code and last 4 kept).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from uvicorn.logging import AccessFormatter, DefaultFormatter

from registry.identity.ids import mask

# 18- and 15-character resident numbers, 2017 foreign permanent-resident numbers; a digit run
# of 15 or more (a number typed with a typo is still a number).
_NUMBERS = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|[0-9]{15,}[Xx]?|[A-Za-z]{3}[0-9]{12})(?![0-9A-Za-z])"
)


def scrub(text: str) -> str:
    """``text`` with every ID-number-shaped run masked."""
    return _NUMBERS.sub(lambda m: mask(m.group(0).upper()), text)


class MaskingFormatter(DefaultFormatter):
    """uvicorn's default formatter, scrubbed (the traceback included)."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class MaskingAccessFormatter(AccessFormatter):
    """uvicorn's access-log formatter, scrubbed (a query string may hold a number)."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def log_config(level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and the service, every line scrubbed."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {
                "()": "service.logs.MaskingFormatter",
                "fmt": "%(asctime)s %(levelprefix)s %(name)s %(message)s",
                "use_colors": False,
            },
            "access": {
                "()": "service.logs.MaskingAccessFormatter",
                "fmt": '%(asctime)s %(levelprefix)s %(client_addr)s "%(request_line)s" '
                "%(status_code)s",
                "use_colors": False,
            },
        },
        "handlers": {
            "default": {
                "formatter": "default",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "formatter": "access",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {
                "handlers": ["access"],
                "level": level.upper(),
                "propagate": False,
            },
            "laiqu.service": {
                "handlers": ["default"],
                "level": level.upper(),
                "propagate": False,
            },
            # The core's warnings (an audit entry left to the next chainer …), timestamped.
            "registry": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            # The PDFs' warnings (a character no font could draw: reports.fonts.setter).
            "reports": {"handlers": ["default"], "level": "WARNING", "propagate": False},
        },
    }
