"""DataTransfer from the CSMS, OCPP 2.0.1 P01: a vendor extension the station may implement.

evsim implements no vendor message. It knows two vendors: its own (the template's
chargePointVendor, as a 1.6 station of evsim does) and any for which the device model enables
CustomizationCtrlr.CustomImplementationEnabled[vendorId]. Another vendorId is UnknownVendorId
(P01.FR.05); a messageId of a known vendor is UnknownMessageId (P01.FR.06), since no message is
implemented; a known vendor without messageId is Accepted (P01.FR.07 leaves the rest to the
vendor's agreement)."""

from __future__ import annotations

from typing import Any, Protocol

from simulator.station.ocpp201.ports import VariableReader, WithVariables
from simulator.station.ports import WithTemplate


class DataTransferStation(WithTemplate, WithVariables, Protocol):
    """What DataTransfer reads of the station."""


def known_vendor(vendor_id: str, own_vendor: str, variables: VariableReader) -> bool:
    return vendor_id == own_vendor or variables.boolean(
        "CustomizationCtrlr", "CustomImplementationEnabled", False, vendor_id
    )


def data_transfer_answer(known: bool, message_id: str | None) -> str:
    """DataTransferResponse's status (P01.FR.05/06)."""
    if not known:
        return "UnknownVendorId"
    return "Accepted" if message_id is None else "UnknownMessageId"


async def data_transfer(station: DataTransferStation, payload: dict[str, Any]) -> dict[str, Any]:
    known = known_vendor(
        payload["vendorId"], station.template.charge_point_vendor, station.variables
    )
    return {"status": data_transfer_answer(known, payload.get("messageId"))}


__all__ = ["DataTransferStation", "data_transfer", "data_transfer_answer", "known_vendor"]
