"""Errors a user sees: one clear line that says what is wrong and how to fix it."""

from __future__ import annotations


class HubError(Exception):
    """An expected failure with a message fit for an operator. Exit code 1 by default."""

    exit_code = 1


class SchemaOutOfDate(HubError):
    """The database schema is older (or newer) than this code expects."""

    exit_code = 3


class InputError(HubError):
    """Bad input: the message names the file, line, field or JSON pointer."""

    exit_code = 2
