"""The one error type every source reader raises on bad input."""


class IngestError(ValueError):
    """A source file cannot be read as what it claims to be.

    The message names the file, the column or row, what was found, what was expected and,
    where there is one, the fix.
    """
