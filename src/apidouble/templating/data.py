"""``data:`` files (JSON, YAML, CSV), read once at load time for templates to use.

A data file is resolved inside the config's folder (symlinks may not leave it) and
parsed when the config loads, so a bad file is a config problem, not a request-time
500, and no request ever waits on the disk. CSV files become lists of row objects keyed
by the header line; every CSV value is text.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from ..config.positions import check_aliases
from ..errors import SyntaxProblem
from .files import confined_file

DATA_SUFFIXES = (".json", ".yaml", ".yml", ".csv")


def resolve_data_file(folder: Path, name: str) -> Path:
    """The file ``name`` inside ``folder``; ValueError when it leaves it or is missing."""
    target = confined_file(folder, name, "data file")
    if target.suffix.lower() not in DATA_SUFFIXES:
        raise ValueError(f"data file {name!r} must be one of: {', '.join(DATA_SUFFIXES)}")
    return target


def parse_data(text: str, suffix: str) -> Any:
    """Parse data text by its file suffix; ValueError naming the line on a syntax error."""
    suffix = suffix.lower()
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if suffix in (".yaml", ".yml"):
        try:
            return _load_yaml(text)
        except SyntaxProblem as exc:  # an alias bomb, or an alias inside its own value
            where = f" at line {exc.line}" if exc.line is not None else ""
            what = exc.message.removeprefix("YAML error: ")
            raise ValueError(f"invalid YAML{where}: {what}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or exc
            raise ValueError(f"invalid YAML{where}: {problem}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows = [dict(row) for row in reader]
    except csv.Error as exc:
        raise ValueError(f"invalid CSV at line {reader.line_num}: {exc}") from None
    if reader.fieldnames is None:
        raise ValueError("a CSV data file needs a header line")
    if any(None in row for row in rows):
        raise ValueError("a CSV row has more values than the header line has names")
    return rows


def _load_yaml(text: str) -> Any:
    """``yaml.safe_load``, with the alias bound configs have (``check_aliases``): a data
    file is read at load time and served as it expands, so a 700-byte "billion laughs"
    would hold the load for minutes and the memory for good."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "&" in text:  # no anchor, no alias: nothing to expand
            check_aliases(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_data_file(folder: Path, name: str) -> tuple[Path, Any]:
    """Resolve, read and parse one data file; ValueError with a message fit for users."""
    path = resolve_data_file(folder, name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read data file {name!r}: {exc}") from None
    try:
        return path, parse_data(text, path.suffix)
    except ValueError as exc:
        raise ValueError(f"data file {name!r}: {exc}") from None
