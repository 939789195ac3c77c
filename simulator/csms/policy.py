"""How the central system answers: pure decisions, no I/O, so they are tested without sockets."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from ocpp.v16.enums import AuthorizationStatus, DataTransferStatus, RegistrationStatus

BOOT_STATUSES = frozenset(status.value for status in RegistrationStatus)


@dataclass(frozen=True, slots=True)
class Policy:
    """The scriptable part of the CSMS: what each station is told at boot and per idTag.

    `boot_status_sequence[n]` answers a station's (n+1)th BootNotification; the last entry
    repeats forever. DataTransfer is answered `Accepted` (echoing `data`) when the vendorId is
    in `accepted_vendor_ids`, else `UnknownVendorId` without data, as the spec requires.
    """

    heartbeat_interval: int = 60
    boot_status_sequence: tuple[str, ...] = (RegistrationStatus.accepted.value,)
    boot_retry_interval: int = 1
    reject_id_tags: frozenset[str] = frozenset()
    accepted_vendor_ids: frozenset[str] = field(default_factory=lambda: frozenset({"evsim"}))

    def __post_init__(self) -> None:
        if self.heartbeat_interval <= 0:
            raise ValueError(f"heartbeat interval must be > 0 s, got {self.heartbeat_interval}")
        if self.boot_retry_interval < 0:
            raise ValueError(f"boot retry interval must be >= 0 s, got {self.boot_retry_interval}")
        if not self.boot_status_sequence:
            raise ValueError("boot status sequence must not be empty")
        unknown = [s for s in self.boot_status_sequence if s not in BOOT_STATUSES]
        if unknown:
            raise ValueError(
                f"unknown boot status {', '.join(unknown)}; use {', '.join(sorted(BOOT_STATUSES))}"
            )

    @classmethod
    def build(
        cls,
        *,
        heartbeat_interval: int = 60,
        boot_status_sequence: Iterable[str] = (RegistrationStatus.accepted.value,),
        boot_retry_interval: int = 1,
        reject_id_tags: Iterable[str] = (),
        accepted_vendor_ids: Iterable[str] = ("evsim",),
    ) -> "Policy":
        """Normalise caller-friendly iterables into the frozen fields."""
        return cls(
            heartbeat_interval=heartbeat_interval,
            boot_status_sequence=tuple(boot_status_sequence),
            boot_retry_interval=boot_retry_interval,
            reject_id_tags=frozenset(reject_id_tags),
            accepted_vendor_ids=frozenset(accepted_vendor_ids),
        )

    def boot_status(self, previous_boots: int) -> str:
        """Status for a station that has already booted `previous_boots` times."""
        return self.boot_status_sequence[min(previous_boots, len(self.boot_status_sequence) - 1)]

    def boot_interval(self, status: str) -> int:
        """Accepted: the heartbeat interval; Pending/Rejected: how long to wait before retrying."""
        if status == RegistrationStatus.accepted:
            return self.heartbeat_interval
        return self.boot_retry_interval

    def id_tag_status(self, id_tag: str) -> str:
        if id_tag in self.reject_id_tags:
            return str(AuthorizationStatus.invalid.value)
        return str(AuthorizationStatus.accepted.value)

    def data_transfer_status(self, vendor_id: str) -> str:
        if vendor_id in self.accepted_vendor_ids:
            return str(DataTransferStatus.accepted.value)
        return str(DataTransferStatus.unknown_vendor_id.value)
