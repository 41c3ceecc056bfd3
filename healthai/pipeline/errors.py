"""Errors of the pipeline's domain functions; the API maps each to one HTTP status."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class: a clear message for a person, never a stack trace."""


class NotFoundError(PipelineError):
    """The batch, row or file asked for does not exist (404)."""


class BatchStateError(PipelineError):
    """The transition is not allowed from the batch's current status (409)."""


class FourEyesError(PipelineError):
    """Whoever corrected rows of a batch may not also approve it (403)."""


class BatchInUseError(PipelineError):
    """Rows of this batch are referenced by rows of other published batches (409)."""


class ContractError(PipelineError):
    """A file breaks its source's structural contract and is refused whole (422)."""
