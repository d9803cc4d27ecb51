"""What in a config keeps state between requests, and so must be shared by processes.

``--workers N`` with memory state gives each process its own: a scenario moved by one
worker would not have moved for the next request, which the kernel may hand to another.
The CLI refuses that combination when the config uses any of what is listed here, and
says to pass ``--state redis://…``; stateless configs (static, templated, random
failures, latency) run on any number of workers as they are.
"""

from __future__ import annotations

from .compiled import CompiledConfig


def shared_state_uses(config: CompiledConfig, runtime_stubs: int = 0) -> list[str]:
    """The features of ``config`` whose state processes would have to share, by name."""
    uses: dict[str, None] = {}
    for compiled in config.stubs.values():
        if compiled.stub.scenario is not None or any(
            r.websocket is not None and r.websocket.uses_scenarios
            for r in compiled.picker.responses
        ):
            uses["scenarios"] = None
        trouble = compiled.trouble
        if trouble.rate_limit is not None:
            uses["rate limits"] = None
        if trouble.flaky is not None and trouble.flaky.spec.counted:
            uses["fail_first/fail_every/outage"] = None
        if compiled.picker.counted:
            uses["response sequences"] = None
    if config.server.rate_limit is not None:
        uses["rate limits"] = None
    if config.resources is not None:
        uses["CRUD resources"] = None
    if runtime_stubs:
        uses[f"{runtime_stubs} stub(s) made through the admin API"] = None
    return list(uses)
