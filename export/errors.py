"""Errors of the export stage.

    ExportError                 anything that stops an export; the message says what and why
    ├── RunDirError             the training run directory is missing a file or is unreadable
    ├── VersionExistsError      the requested version is already published (never overwritten)
    └── GateRefusedError        the quality gate refused the model (both numbers in the message)

The CLI maps them to exit codes in one place (export/__main__.py).
"""


class ExportError(Exception):
    """An export could not be completed; nothing was published."""


class RunDirError(ExportError):
    """The training run directory is incomplete or unreadable."""


class VersionExistsError(ExportError):
    """The requested version folder already exists in the model base path."""


class GateRefusedError(ExportError):
    """The exported model did not pass the quality gate."""
