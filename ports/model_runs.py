"""The model runs port: when each forecast model's last run became available."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.model.model_runs import ModelRun


class ModelRuns(Protocol):
    """Never raises: a run that cannot be read is None (the caller falls back to its TTL)."""

    async def runs(self, api: str, models: Sequence[str]) -> list[ModelRun | None]:
        """The last run of each model behind an answer of `api` asking for `models`
        (empty: the API's default models), one entry per model consulted."""
        ...
