"""Input files (scenarios, experiments): TOML reading and one-line error reports.

Every problem in an input file is reported as one line naming the file, the field and what
is allowed, before anything is written.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError


class InputError(ValueError):
    """An input-file problem, as one line: ``file: field: what is wrong and what is allowed``."""


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
                model = getattr(annotation, "__args__", (annotation,))[0]
        allowed = ", ".join(getattr(model, "model_fields", {}))
        return f"{field}: unknown key; allowed: {allowed}"
    message = error["msg"].removeprefix("Value error, ")
    if "input" in error and kind.endswith("_type"):
        message += f" (got {type(error['input']).__name__} {error['input']!r})"
    # Whole-file checks name their field in the message.
    return f"{field}: {message}" if field else message


def validation_line(path: Path, exc: ValidationError, root: type[BaseModel]) -> str:
    """The first validation error of ``path`` as one line (with how many more there are)."""
    errors = exc.errors()
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}: {_describe(errors[0], root)}{more}"


def read_toml(path: Path, kind: str, error: type[InputError] = InputError) -> dict:
    """The TOML table of ``path``; a missing or malformed file raises ``error``."""
    if not path.is_file():
        raise error(f"{path}: no such {kind} file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


Model = TypeVar("Model", bound=BaseModel)


def read_input(path: Path, kind: str, model: type[Model], error: type[InputError] = InputError) -> Model:
    """``path`` read as TOML and validated as ``model``; any problem raises ``error`` as one line."""
    raw = read_toml(path, kind, error)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(validation_line(path, exc, model)) from None
