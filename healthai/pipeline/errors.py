"""Errors of the pipeline's domain functions; the API maps each to one HTTP status."""

from __future__ import annotations

from typing import Any


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
    """A file breaks its source's structural contract and is refused whole (422).

    Raised with a rule id of `healthai.pipeline.rules` and its parameters, the message is that
    rule's wording; `for_file(name)` names the file the person dropped in it (readers only
    know the stored copy). A plain message is kept as it is (rule `contract_structure`)."""

    def __init__(self, message: str | None = None, *, rule: str | None = None, **params: Any):
        self.rule = rule or "contract_structure"
        self.params = params
        self._message = message
        super().__init__(message or rule)

    @classmethod
    def of(cls, rule: str, **params: Any) -> ContractError:
        return cls(rule=rule, **params)

    def for_file(self, name: str) -> ContractError:
        """The same error, naming `name` as the file (kept if one is already named)."""
        if self._message is not None:
            if self._message.startswith(f"{name}: "):
                return self
            return ContractError(f"{name}: {self._message}", rule=self.rule, **self.params)
        return ContractError(rule=self.rule, **{**self.params, "file": name})

    def __str__(self) -> str:
        if self._message is not None:
            return self._message
        from healthai.pipeline.rules import message

        return message(self.rule, **{"file": "the file", **self.params})
