"""The one exception type for bad input; the CLI turns it into a one-line message, exit 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from a user: a file, a field or a value that is not what was expected.

    The message must be one line naming the file and/or field and what was expected,
    e.g. ``scenarios/x.toml: growth[2].dwellings: must be >= 0, got -5``.
    """
