"""Is a value right for a variable's characteristics (OCPP 2.0.1 Part 2 B05.FR.07/08, DataEnumType)?

Values travel as strings. `check_value` answers with None (acceptable) or the reason code of
Part 2 Appendices "Reason codes" that a SetVariableResult's statusInfo carries, with a few words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_LISTS = ("OptionList", "MemberList", "SequenceList")


@dataclass(frozen=True, slots=True)
class Characteristics:
    """VariableCharacteristicsType, plus maxElements (members a list may hold), which is not
    reported."""

    data_type: str
    unit: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: tuple[str, ...] | None = None
    max_elements: int | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"dataType": self.data_type}
        if self.unit is not None:
            out["unit"] = self.unit
        if self.min_limit is not None:
            out["minLimit"] = self.min_limit
        if self.max_limit is not None:
            out["maxLimit"] = self.max_limit
        if self.values_list is not None:
            out["valuesList"] = ",".join(self.values_list)
        out["supportsMonitoring"] = False  # monitoring (N02-N08) is deferred
        return out


@dataclass(frozen=True, slots=True)
class Rejection:
    reason_code: str  # Part 2 Appendices, reason codes
    info: str

    def status_info(self) -> dict[str, str]:
        return {"reasonCode": self.reason_code, "additionalInfo": self.info[:512]}


def _number_rejection(number: float, limits: Characteristics) -> Rejection | None:
    if limits.min_limit is not None and number < limits.min_limit:
        return Rejection("ValueOutOfRange", f"below minLimit {limits.min_limit:g}")
    if limits.max_limit is not None and number > limits.max_limit:
        return Rejection("ValueOutOfRange", f"above maxLimit {limits.max_limit:g}")
    return None


def _list_rejection(value: str, limits: Characteristics) -> Rejection | None:
    members = [member.strip() for member in value.split(",")] if value.strip() else []
    if limits.data_type == "OptionList" and len(members) != 1:
        return Rejection("InvalidValue", "an OptionList takes exactly one value")
    allowed = limits.values_list or ()
    wrong = [member for member in members if member not in allowed]
    if wrong:
        return Rejection("InvalidValue", f"not in valuesList: {','.join(wrong)}")
    if len(set(members)) != len(members):
        return Rejection("InvalidValue", "a value is listed twice")
    if limits.max_elements is not None and len(members) > limits.max_elements:
        return Rejection("TooManyElements", f"more than {limits.max_elements} members")
    if limits.data_type == "SequenceList" and not members:
        return Rejection("InvalidValue", "a SequenceList needs at least one value")
    return None


def check_value(
    value: str, limits: Characteristics, value_size: int | None = None
) -> Rejection | None:
    """None when `value` is acceptable for a variable with `limits`; `value_size` is
    DeviceDataCtrlr.ConfigurationValueSize (the longest value the station takes)."""
    if value_size is not None and len(value) > value_size:
        return Rejection("InvalidValue", f"longer than ConfigurationValueSize {value_size}")
    kind = limits.data_type
    if kind == "integer":
        if not _INTEGER.fullmatch(value):
            return Rejection("InvalidValue", "not an integer")
        return _number_rejection(int(value), limits)
    if kind == "decimal":
        if not _DECIMAL.fullmatch(value) or not math.isfinite(float(value)):
            return Rejection("InvalidValue", "not a decimal")
        return _number_rejection(float(value), limits)
    if kind == "boolean":
        return None if value in ("true", "false") else Rejection("InvalidValue", "not a boolean")
    if kind == "dateTime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return Rejection("InvalidValue", "not an RFC 3339 date-time")
        return None
    # A string or a list: maxLimit is the longest (CSV) string (VariableCharacteristicsType).
    if limits.max_limit is not None and len(value) > limits.max_limit:
        return Rejection("ValueOutOfRange", f"longer than maxLimit {limits.max_limit:g}")
    if kind in _LISTS:
        return _list_rejection(value, limits)
    return None
