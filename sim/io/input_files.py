"""Input files (scenarios, experiments, patterns, calibrations, parameter tables): reading,
validation and one-line error reports.

Every input file is read by :func:`read_text` (UTF-8, with or without a byte-order mark) and
validated with pydantic. Every problem is reported as one line naming the file, the field
and what is allowed, before anything is written.
"""

from __future__ import annotations

import io
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_origin

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MAX_SEED = 2**63 - 1
MAX_REPLICATES = 100_000


class InputError(ValueError):
    """An input-file problem, as one line: ``file: field: what is wrong and what is allowed``."""


def _safe_name(name: str) -> str:
    # Names become folder names (results/<name>/): never ".", "..", hidden or a path.
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*", name):
        raise ValueError(f"{name!r} cannot name a folder; allowed: letters, digits, '_', '-' and '.' "
                         "(not first)")
    return name


# Every number in an input is finite: NaN and infinity would pass range checks and spoil runs.
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
# A name that is also a safe folder name.
SafeName = Annotated[str, AfterValidator(_safe_name)]


def check_safe_name(path: Path, name: str, error: type[InputError] = InputError) -> None:
    """Raise ``error`` naming ``path`` and its ``name`` field if ``name`` is not a safe folder name."""
    try:
        _safe_name(name)
    except ValueError as exc:
        raise error(f"{path}: name: {exc}") from None


class Strict(BaseModel):
    """Base of every input model: unknown keys and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _format_location(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: dict, root: type[BaseModel]) -> str:
    field = _format_location(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        model = root
        for part in error["loc"][:-1]:
            if isinstance(part, str) and part in getattr(model, "model_fields", {}):
                annotation = model.model_fields[part].annotation
                arguments = getattr(annotation, "__args__", (annotation,))
                # list[X] and X | None name X; dict[str, X] names its values, X.
                model = arguments[-1] if get_origin(annotation) is dict else arguments[0]
        allowed = ", ".join(getattr(model, "model_fields", {}))
        return f"{field}: unknown key; allowed: {allowed}"
    message = error["msg"].removeprefix("Value error, ")
    if kind == "list_type" and isinstance(error.get("input"), dict) and error["loc"]:
        # A TOML [name] table where an array of tables [[name]] is meant.
        return f"{field}: a single [{field}] table; allowed: one [[{field}]] table per entry (double brackets)"
    if "input" in error and (kind.endswith(("_type", "_parsing")) or kind == "finite_number"):
        message += f" (got {type(error['input']).__name__} {error['input']!r})"
    # Whole-file checks name their field in the message.
    return f"{field}: {message}" if field else message


def validation_line(path: Path, exc: ValidationError, root: Any = None) -> str:
    """The first validation error of ``path`` as one line (with how many more there are)."""
    errors = exc.errors()
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}: {_describe(errors[0], root)}{more}"


def read_text(path: Path, kind: str, error: type[InputError] = InputError) -> str:
    """The text of an input file: UTF-8, a leading byte-order mark dropped.

    Raises:
        error: the file is missing, unreadable or not UTF-8, as one line naming it.
    """
    if not path.is_file():
        raise error(f"{path}: no such {kind} file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read the {kind} file ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise error(f"{path}: line {line}: byte {data[exc.start]:#04x} is not UTF-8; allowed: UTF-8 text "
                    "(save the file as UTF-8)") from None


def read_toml(path: Path, kind: str, error: type[InputError] = InputError) -> dict:
    """The TOML table of ``path``; a missing, undecodable or malformed file raises ``error``."""
    try:
        return tomllib.loads(read_text(path, kind, error))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def read_csv(path: Path, kind: str, columns: tuple[str, ...], error: type[InputError] = InputError) -> pd.DataFrame:
    """A CSV table of ``path`` as text cells (``#`` starts a comment), with at least ``columns``.

    Raises:
        error: the file is missing, not UTF-8, not a table or lacks a column, as one line.
    """
    text = read_text(path, kind, error)
    try:
        table = pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise error(f"{path}: not a CSV table: {str(exc).strip().splitlines()[0]}") from None
    missing = [column for column in columns if column not in table.columns]
    if missing:
        found = list(map(str, table.columns))
        shown = ", ".join(found[:8]) + (f" and {len(found) - 8} more" if len(found) > 8 else "")
        raise error(f"{path}: no column {', '.join(missing)}; needed: {', '.join(columns)} (found {shown or 'none'})")
    return table


Model = TypeVar("Model", bound=BaseModel)


@cache
def _adapter(schema: Any) -> TypeAdapter:
    return TypeAdapter(schema)


def validated(path: Path, schema: Any, raw: Any, error: type[InputError] = InputError, strict: bool | None = None):
    """``raw`` validated as ``schema`` (a model or a type); a problem raises ``error`` as one line naming ``path``.

    Args:
        strict: ``False`` for text cells (CSV), which pydantic may then parse as numbers.
    """
    try:
        return _adapter(schema).validate_python(raw, strict=strict)
    except ValidationError as exc:
        raise error(validation_line(path, exc, schema)) from None


def read_input(path: Path, kind: str, model: type[Model], error: type[InputError] = InputError) -> Model:
    """``path`` read as TOML and validated as ``model``; any problem raises ``error`` as one line."""
    return validated(path, model, read_toml(path, kind, error), error)
