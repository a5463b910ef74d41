"""The base of every suite section: frozen, strict, no unknown keys."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

Params = dict[str, Any]


class Spec(BaseModel):
    """A suite section: frozen, strict types, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)
