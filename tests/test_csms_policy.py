"""The CSMS's answers as pure decisions: no sockets."""

import pytest

from simulator.csms import Policy


def test_default_policy_accepts_every_boot_with_the_heartbeat_interval() -> None:
    policy = Policy()
    assert [policy.boot_status(n) for n in range(3)] == ["Accepted"] * 3
    assert policy.boot_interval("Accepted") == 60


def test_boot_status_sequence_gives_the_nth_boot_the_nth_status_and_repeats_the_last() -> None:
    policy = Policy.build(boot_status_sequence=["Rejected", "Pending", "Accepted"])
    assert [policy.boot_status(n) for n in range(5)] == [
        "Rejected",
        "Pending",
        "Accepted",
        "Accepted",
        "Accepted",
    ]


def test_pending_and_rejected_carry_the_retry_interval() -> None:
    policy = Policy.build(heartbeat_interval=30, boot_retry_interval=5)
    assert policy.boot_interval("Pending") == 5
    assert policy.boot_interval("Rejected") == 5
    assert policy.boot_interval("Accepted") == 30


def test_listed_id_tags_are_invalid_and_others_accepted() -> None:
    policy = Policy.build(reject_id_tags=["BAD"])
    assert policy.id_tag_status("BAD") == "Invalid"
    assert policy.id_tag_status("GOOD") == "Accepted"


def test_data_transfer_accepts_only_known_vendors() -> None:
    policy = Policy()
    assert policy.data_transfer_status("evsim") == "Accepted"
    assert policy.data_transfer_status("acme") == "UnknownVendorId"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"boot_status_sequence": ["Maybe"]}, "unknown boot status Maybe"),
        ({"boot_status_sequence": []}, "must not be empty"),
        ({"heartbeat_interval": 0}, "heartbeat interval"),
        ({"boot_retry_interval": -1}, "boot retry interval"),
    ],
)
def test_bad_options_are_refused_with_the_reason(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Policy.build(**options)  # type: ignore[arg-type]
