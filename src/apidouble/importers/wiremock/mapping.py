"""WireMock mapping documents -> ``Stub``s.

A document is one mapping (``{"request": ..., "response": ...}``) or many
(``{"mappings": [...]}``). A mapping that cannot be read is skipped with a problem
naming the file, line and JSON pointer; the others load and serve (WireMock's users
bring folders of hundreds of mappings, and one typo should not take them all down).

Selection follows WireMock: ``priority`` (1 wins, default 5), then the newest mapping
first, the order WireMock gives mappings loaded from files (``ordering="insertion"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apidouble.addons.webhooks import parse_wiremock_listeners
from apidouble.behaviours.spec import NO_BEHAVIOURS, build_behaviours
from apidouble.config.ids import Place, StubIds, content_id
from apidouble.config.positions import Lines, child, line_of
from apidouble.errors import ConfigProblem
from apidouble.importers.wiremock.problems import MappingError, at, unknown
from apidouble.importers.wiremock.request import request_pattern
from apidouble.importers.wiremock.response import response_spec
from apidouble.model import Scenario, Source, Stub

MAPPING_KEYS = frozenset({
    "id", "uuid", "name", "request", "response", "priority", "persistent", "metadata",
    "scenarioName", "requiredScenarioState", "newScenarioState", "postServeActions",
    "serveEventListeners", "insertionIndex",
})  # fmt: skip
"""What WireMock reads in a mapping; anything else makes it refuse the file."""
DEFAULT_PRIORITY = 5
FILES_FOLDER = "__files"
MAPPINGS_FOLDER = "mappings"


def is_wiremock(data: Any) -> bool:
    """Whether parsed data has the shape of WireMock mappings (never judged by file name)."""
    if not isinstance(data, Mapping) or "endpoints" in data:
        return False
    if isinstance(data.get("mappings"), list):
        return True
    return isinstance(data.get("request"), Mapping)


def in_mappings_folder(path: Path) -> bool:
    """Whether a file lies in a WireMock root's ``mappings`` folder."""
    return any(folder.name == MAPPINGS_FOLDER for folder in path.absolute().parents)


def files_folder(path: Path) -> Path | None:
    """The ``__files`` folder of the WireMock root a mapping file belongs to: beside the
    nearest ``mappings`` folder above it, else beside the file itself."""
    for folder in path.absolute().parents:
        if folder.name == MAPPINGS_FOLDER:
            found = folder.parent / FILES_FOLDER
            return found if found.is_dir() else None
    found = path.absolute().parent / FILES_FOLDER
    return found if found.is_dir() else None


@dataclass
class MappingDocument:
    """One WireMock file through conversion; ``problems`` gets one entry per skipped
    mapping."""

    display: str
    id_key: str
    lines: Lines
    problems: list[ConfigProblem]
    ids: StubIds
    files: Path | None
    templating: bool = False

    def load(self, data: Any, first_order: int = 0) -> list[Stub]:
        """The stubs of every readable mapping, in the order they were written."""
        if isinstance(data, Mapping) and "mappings" in data:
            mappings: Sequence[Any] = data["mappings"]
            prefix: tuple[str | int, ...] = ("mappings",)
        else:
            mappings, prefix = [data], ()
        stubs: list[Stub] = []
        failed = False
        for index, raw in enumerate(mappings):
            parts = (*prefix, index) if prefix else ()
            try:
                stubs.append(self._stub(raw, parts, first_order + len(stubs)))
            except MappingError as exc:
                self._problem(exc.under(*parts), raw)
                failed = True
        return [] if failed else stubs  # WireMock refuses a file with any bad mapping

    def _problem(self, error: MappingError, raw: Any) -> None:
        line = line_of(self.lines, error.pointer)
        self.problems.append(
            ConfigProblem(self.display, error.message, line, error.pointer, label(raw))
        )

    def _stub(self, raw: Any, parts: tuple[str | int, ...], order: int) -> Stub:
        if not isinstance(raw, Mapping):
            raise MappingError("a mapping must be an object with 'request' and 'response'")
        unknown(raw, MAPPING_KEYS, "a mapping")
        _check_types(raw)
        try:
            pattern = request_pattern(raw.get("request", {}))
        except MappingError as exc:
            raise exc.under("request") from None
        try:
            converted = response_spec(raw.get("response"), self.files, self.templating)
        except MappingError as exc:
            raise exc.under("response") from None
        priority = raw.get("priority", DEFAULT_PRIORITY)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise at(f"priority must be a whole number (1 is the highest), got {priority!r}",
                     "priority")  # fmt: skip
        try:
            behaviours = build_behaviours(converted.trouble) if converted.trouble else None
        except ValueError as exc:
            raise at(str(exc), "response") from None
        try:
            callbacks = parse_wiremock_listeners(raw.get("serveEventListeners"))
        except ValueError as exc:
            raise at(str(exc), "serveEventListeners") from None
        ptr = "".join(child("", p) for p in parts)
        name = raw.get("name")
        return Stub(
            id=self._id(raw, ptr),
            pattern=pattern,
            responses=(converted.response,),
            name=name if isinstance(name, str) and name else None,
            priority=priority,
            latency=converted.latency,
            source=Source(self.display, line_of(self.lines, ptr), ptr),
            order=order,
            behaviours=behaviours or NO_BEHAVIOURS,
            ordering="insertion",
            scenario=_scenario(raw),
            origin=dict(raw),
            callbacks=callbacks,
        )

    def _id(self, raw: Mapping[str, Any], ptr: str) -> str:
        """WireMock's ``id`` (or ``uuid``) when given and free, else one made from the
        mapping's content (stable across reloads, as native ids are)."""
        place = Place(self.display, line_of(self.lines, ptr), ptr)
        for key in ("id", "uuid"):
            given = raw.get(key)
            if isinstance(given, str) and given:
                first = self.ids.ids.setdefault(given, place)
                if first is not place:
                    raise at(f"id {given!r} is also the id of the mapping at {first}", key)
                return given
        occurrence = 1
        while (stub_id := content_id(self.id_key, raw, occurrence)) in self.ids.ids:
            occurrence += 1
        self.ids.ids[stub_id] = place
        return stub_id


_TYPED_KEYS: tuple[tuple[str, type | tuple[type, ...], str], ...] = (
    ("postServeActions", (list, Mapping), "a list (or WireMock's older map of names)"),
    ("metadata", Mapping, "an object"),
    ("persistent", bool, "true or false"),
)
"""Mapping keys kept as given (and shown back by the admin API): their type is checked
here, as WireMock's reader checks it, so a mapping never echoes what it cannot hold."""


def _check_types(raw: Mapping[str, Any]) -> None:
    for key, kinds, shown in _TYPED_KEYS:
        value = raw.get(key)
        if value is not None and not isinstance(value, kinds):
            raise at(f"{key} must be {shown}, got {value!r}", key)


def _scenario(raw: Mapping[str, Any]) -> Scenario | None:
    name = raw.get("scenarioName")
    if name is None:
        return None
    if not isinstance(name, str):
        raise at("scenarioName must be a string", "scenarioName")
    when, then = raw.get("requiredScenarioState"), raw.get("newScenarioState")
    for key, value in (("requiredScenarioState", when), ("newScenarioState", then)):
        if value is not None and not isinstance(value, str):
            raise at(f"{key} must be a string", key)
    return Scenario(name, when, then)


def label(raw: Any) -> str | None:
    """How problems name a mapping: its name, else ``METHOD url``."""
    if not isinstance(raw, Mapping):
        return None
    if isinstance(raw.get("name"), str) and raw["name"]:
        return str(raw["name"])
    request = raw.get("request")
    if not isinstance(request, Mapping):
        return None
    url = next((request[k] for k in ("url", "urlPath", "urlPathTemplate", "urlPattern",
                                     "urlPathPattern") if k in request), "*")  # fmt: skip
    return f"{request.get('method', 'ANY')} {url}"
