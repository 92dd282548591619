"""Errors of the registry core.

Bad input (a number that cannot be, a date in the future) subclasses ``ValueError``;
a request the registry state refuses (check-out of someone not checked in) subclasses
``Refused``. The core never phrases for a terminal: each error carries a plain message
and the CLI turns it into a sentence with what to do.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every error the core raises on purpose."""

    message = "the registry refused the request"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class InvalidInput(RegistryError, ValueError):
    """The input cannot be right: format, checksum, impossible date, unknown code."""

    message = "invalid input"


class InvalidNumber(InvalidInput):
    """An ID number or credit code that fails its format, checksum or date rules."""

    message = "invalid document number"


class NotFound(RegistryError, LookupError):
    """A person, house, venue, employer or jurisdiction the request names does not exist."""

    message = "not found"


class Ambiguous(RegistryError):
    """A name matches more than one record; the caller must use the identifier."""

    message = "the name matches more than one record"


class Refused(RegistryError):
    """The request contradicts the registry's state (not present, overlapping, disagreeing)."""

    message = "refused by the registry"
