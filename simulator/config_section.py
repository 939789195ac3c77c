"""The base of every config.json section model: camelCase keys as the TypeScript simulator
writes them, attributes in snake_case, frozen once loaded."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Section(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="ignore",
        # A field's meaning is the docstring under it (the configuration reference).
        use_attribute_docstrings=True,
    )
