"""Load time for ``resources:``: each resource's rows, read from a file, taken inline, or
generated from a template with faker, so the database starts the same on every load."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..templating.data import read_data_file
from ..templating.environment import TemplateEnvironment
from ..templating.valuetemplates import compile_value
from .schema import FakerConfig, Resource

RESOURCE_KEYS = frozenset(Resource.model_fields)


@dataclass
class ResourceSet:
    """The rows of a file's resources, their id fields, and the files they came from."""

    document: dict[str, Any] = field(default_factory=dict)
    id_keys: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def looks_like_resources(data: Any) -> bool:
    """A native config that only has ``resources:`` (no ``endpoints``): every resource an
    object of our keys with rows to serve; a json-server database's singular resource
    named ``resources`` never has that shape."""
    resources = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(resources, dict) or not resources:
        return False
    return all(
        isinstance(spec, dict)
        and bool({"data", "count"} & spec.keys())
        and spec.keys() <= RESOURCE_KEYS
        for spec in resources.values()
    )


def read_resources(
    folder: Path,
    resources: Mapping[str, Resource],
    seed: int | None,
    faker: FakerConfig | None,
) -> tuple[ResourceSet, list[tuple[str, str]]]:
    """Every resource's rows; problems as (JSON pointer, message)."""
    found = ResourceSet()
    problems: list[tuple[str, str]] = []
    for name, spec in resources.items():
        where = f"/resources/{name}"
        if "/" in name or name.lower() == "db":
            problems.append((where, f"{name!r} cannot be a resource name ('/' or 'db')"))
            continue
        if (spec.data is None) == (spec.count is None):
            problems.append((where, "give data (a file or the rows) or count with template"))
            continue
        try:
            if spec.count is not None:
                rows: Any = generate(spec, seed, faker)
            elif isinstance(spec.data, str):
                path, rows = read_data_file(folder, spec.data)
                found.files.append(path)
            else:
                rows = spec.data
        except ValueError as exc:
            problems.append(
                (f"{where}/{'template' if spec.count is not None else 'data'}", str(exc))
            )
            continue
        if not isinstance(rows, list | dict):
            problems.append((f"{where}/data", "the rows must be a list (or one object)"))
            continue
        found.document[name] = rows
        if spec.id != "id":
            found.id_keys[name] = spec.id
    return found, problems


def generate(spec: Resource, seed: int | None, faker: FakerConfig | None) -> list[Any]:
    """``count`` rows from ``template`` (``index`` is 1, 2, ...), seeded: the same rows on
    every load. A row that names no id gets ``index``."""
    own_seed = spec.seed if spec.seed is not None else (seed if seed is not None else 0)
    env = TemplateEnvironment(
        own_seed,
        faker_locale=faker.locale if faker is not None else None,
        faker_seed=faker.seed if faker is not None and faker.seed is not None else own_seed,
    )
    template = spec.template if spec.template is not None else {}
    render, names = compile_value(template, "template", ("index",))
    names.discard("index")
    rows: list[Any] = []
    for index in range(1, (spec.count or 0) + 1):
        if render is None:
            row = copy.deepcopy(template)
        else:
            context = env.context(names, None, {})  # uuid, timestamp...: afresh for each row
            context["index"] = index
            try:
                row = render(context)
            except Exception as exc:  # a template error, with the row it happened in
                raise ValueError(f"row {index}: {exc}") from exc
        if isinstance(row, dict) and spec.id not in row:
            row = {spec.id: index, **row}
        rows.append(row)
    return rows
