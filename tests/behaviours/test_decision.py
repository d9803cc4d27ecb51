import json

import pytest

from apidouble.behaviours.decision import DECISION_HEADER, Decision
from apidouble.behaviours.faults import FaultPlan
from apidouble.behaviours.ratelimit import RateDecision


@pytest.mark.parametrize(
    ("decision", "header", "record"),
    [
        (Decision(), "none", {}),
        (Decision(latency_s=0.1234), "latency_ms=123.4", {"latency_ms": 123.4}),
        (
            Decision(latency_s=0.0, failure="fail_first"),
            "latency_ms=0.0; failure=fail_first",
            {"latency_ms": 0.0, "failure": "fail_first"},
        ),
        (
            Decision(fault=FaultPlan("timeout", hold_s=30.0)),
            "fault=timeout(30s)",
            {"fault": "timeout", "fault_hold_s": 30.0},
        ),
        (
            Decision(fault=FaultPlan("random_data_then_close", b"xy")),
            "fault=random_data_then_close(2B)",
            {"fault": "random_data_then_close", "fault_bytes": 2},
        ),
        (
            Decision(rate_limit=RateDecision(False, 10, 0, 1.25, 1.25)),
            "rate=0/10-refused",
            {"rate_limit": {"allowed": False, "limit": 10, "remaining": 0, "reset_s": 1.25}},
        ),
        (
            Decision(rate_limit=RateDecision(True, 10, 7, 3.0), cache="not_modified"),
            "rate=7/10; cache=not_modified",
            {
                "rate_limit": {"allowed": True, "limit": 10, "remaining": 7, "reset_s": 3.0},
                "cache": "not_modified",
            },
        ),
        (Decision(pacing_s=2.0), "pacing_ms=2000.0", {"pacing_ms": 2000.0}),
        (
            Decision(failure="odd; value=\r\nx"),
            "failure=odd__value___x",
            {"failure": "odd; value=\r\nx"},
        ),
    ],
)
def test_header_and_record(decision: Decision, header: str, record: dict[str, object]) -> None:
    assert decision.header_value() == header
    assert decision.as_dict() == record
    json.dumps(decision.as_dict())  # the journal stores it as JSON
    header.encode("ascii")


def test_header_name() -> None:
    assert DECISION_HEADER == "X-Apidouble-Decision"
