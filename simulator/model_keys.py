"""Keys as a user writes them (camelCase aliases, older spellings) <-> the models' field names.

Read from the pydantic models themselves, for any model: config.json's Settings and the station
templates alike. Used to bring every settings source to field names, to report unknown keys and
to name an error by the key the user wrote.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo


def _unwrap(annotation: Any) -> Any:
    """`annotation` without Annotated and without a `| None`; unions of several types stay."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model_class(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _field_aliases(name: str, info: FieldInfo) -> list[str]:
    aliases: list[str] = []
    if isinstance(info.validation_alias, AliasChoices):
        choices = info.validation_alias.choices
        aliases.extend(choice for choice in choices if isinstance(choice, str))
    elif isinstance(info.validation_alias, str):
        aliases.append(info.validation_alias)
    if info.alias:
        aliases.append(info.alias)
    aliases.append(name)
    return aliases


@cache
def _key_lookup(model: type[BaseModel]) -> dict[str, str]:
    """Every key that populates a field of `model` (aliases, name) -> field name."""
    lookup: dict[str, str] = {}
    for name, info in model.model_fields.items():
        for alias in _field_aliases(name, info):
            lookup.setdefault(alias, name)
    return lookup


def display_key(model: type[BaseModel], name: str) -> str:
    """The key of field `name` as a user writes it in the JSON file."""
    info = model.model_fields[name]
    if isinstance(info.validation_alias, AliasChoices):
        first = info.validation_alias.choices[0]
        if isinstance(first, str):
            return first
    return info.alias or name


def dotted_key(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as the user's key path: ``worker.poolMaxSize``,
    ``stationTemplateUrls[0].file``, ``Connectors.1.MeterValues[2].unit``."""
    text = ""
    current: Any = model
    for item in loc:
        if item == "[key]":
            continue
        model_class = _model_class(current)
        annotation = _unwrap(current)
        origin = get_origin(annotation)
        if model_class is not None and isinstance(item, str):
            name = _key_lookup(model_class).get(item)
            if name is None:  # an extra key, or a model-level error
                text += f".{item}" if text else item
                current = None
                continue
            key = display_key(model_class, name)
            text += f".{key}" if text else key
            current = model_class.model_fields[name].annotation
        elif origin in (list, tuple) and isinstance(item, int):
            text += f"[{item}]"
            args = get_args(annotation)
            current = args[0] if args else None
        elif origin in (dict, Mapping):
            text += f".{item}" if text else str(item)
            args = get_args(annotation)
            current = args[1] if len(args) == 2 else None
        else:
            # Inside a union pydantic adds member tags ('int', "literal['auto','all']") that
            # mean nothing to a user: the key so far is the precise one.
            break
    return text


def by_field_name(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with the keys of `model` (and of its nested models) renamed to field names.

    Unknown keys are kept as they are: a source's job is to report them, not this one's.
    """
    lookup = _key_lookup(model)
    result: dict[str, Any] = {}
    for key, value in data.items():
        name = lookup.get(key)
        if name is None:
            result[key] = value
            continue
        result[name] = _value_by_field_name(model.model_fields[name].annotation, value)
    return result


def _value_by_field_name(annotation: Any, value: Any) -> Any:
    nested = _model_class(annotation)
    if nested is not None and isinstance(value, Mapping):
        return by_field_name(nested, value)
    unwrapped = _unwrap(annotation)
    if get_origin(unwrapped) is list and isinstance(value, list):
        args = get_args(unwrapped)
        item_model = _model_class(args[0]) if args else None
        if item_model is not None:
            return [by_field_name(item_model, v) if isinstance(v, Mapping) else v for v in value]
    return value


def unknown_keys(model: type[BaseModel], data: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys in `data` that no field of `model` (or of its nested models) reads."""
    lookup = _key_lookup(model)
    found: list[str] = []
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        name = lookup.get(key)
        if name is None:
            found.append(path)
            continue
        annotation = model.model_fields[name].annotation
        nested = _model_class(annotation)
        if nested is not None and isinstance(value, Mapping):
            found.extend(unknown_keys(nested, value, path))
            continue
        unwrapped = _unwrap(annotation)
        if get_origin(unwrapped) is list and isinstance(value, list):
            args = get_args(unwrapped)
            item_model = _model_class(args[0]) if args else None
            if item_model is not None:
                for i, item in enumerate(value):
                    if isinstance(item, Mapping):
                        found.extend(unknown_keys(item_model, item, f"{path}[{i}]"))
    return found


__all__ = ["by_field_name", "display_key", "dotted_key", "unknown_keys"]
