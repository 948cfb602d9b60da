"""Writing results: output folders held by one command, atomic files, summaries and the
manifest that says how a run was made."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import secrets
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from sim.io.input_files import InputError, read_text

PACKAGES = ("casim", "mesa", "numpy", "pandas", "pyarrow", "pydantic", "matplotlib", "tqdm", "SALib", "dask", "distributed")


# Held (flock) by the command writing a folder; it names that command's process.
LOCK_FILE = ".casim.lock"
# Longest file or folder name (bytes) on the usual file systems.
NAME_MAX = 255


def _new_temporary(path: Path) -> Path:
    """A new empty hidden file ``.NAME.RANDOM.tmp`` beside ``path``.

    Created with mode 0666 less the umask, as any new file (not mkstemp's 0600), so the
    file renamed onto ``path`` can be read by whom the umask allows.
    """
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return temporary
        except FileExistsError:
            continue


@contextmanager
def atomic_path(path: Path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _new_temporary(path)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> None:
    """Remove the hidden temporaries (``.NAME.RANDOM.tmp``) a killed command left in ``folder``
    and its subfolders, except in subfolders another command holds (their own lock file)."""
    for path in folder.iterdir():
        if path.is_dir() and not (path / LOCK_FILE).exists():
            remove_stale_temporaries(path)
        elif path.name.startswith(".") and path.name.endswith(".tmp") and path.is_file():
            path.unlink(missing_ok=True)


def check_output(path: Path, option: str, folder: bool = True) -> None:
    """Refuse an output ``path`` that cannot be written, before any work starts.

    Args:
        path: the folder (or, with ``folder=False``, the file) to write.
        option: how the user gave it (``--out``), named in the message.

    Raises:
        InputError: one line: a name too long, a file where a folder is needed (or the
            reverse), or a place this process cannot write.
    """
    where = f"{option} {path}"
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise InputError(f"{where}: a name in it is {len(os.fsencode(part))} bytes long; allowed: at most "
                             f"{NAME_MAX} bytes per name")
    if path.exists() and not (path.is_dir() if folder else path.is_file()):
        kind, allowed = ("a folder", "a folder") if folder else ("a regular file", "the name of a regular file")
        raise InputError(f"{where}: exists and is not {kind}; allowed: {allowed}")
    start = path if folder else path.parent
    existing = next(p for p in (start, *start.parents) if p.exists())
    if not existing.is_dir():
        raise InputError(f"{where}: {existing} is a file, not a folder; allowed: a path through folders")
    try:
        _new_temporary(existing / "casim-probe").unlink()
    except OSError as exc:
        raise InputError(f"{where}: cannot write in {existing} ({exc.strerror}); allowed: a folder this user can "
                         "write to") from None


@contextmanager
def output_folder(out: Path, option: str = "--out", kind: str | None = None):
    """Hold the output folder ``out`` for one command.

    Checks it (:func:`check_output`), creates it, takes its lock for the whole command and
    removes the temporaries a killed command left. With ``kind``, a manifest saying
    ``"status": "incomplete"`` is written first; the command's final manifest replaces it,
    so a folder whose command did not finish says so.

    Raises:
        InputError: one line if the folder cannot be written or another command holds it.
    """
    check_output(out, option)
    if kind is not None:
        _check_same_kind(out, option, kind)
    with ExitStack() as stack:
        try:
            out.mkdir(parents=True, exist_ok=True)
            lock = stack.enter_context(open(out / LOCK_FILE, "a+", encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"{option} {out}: cannot write there ({exc.strerror}); allowed: a folder this user can "
                             "write to") from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            raise InputError(f"{option} {out}: another casim command (process {holder}) is writing this folder; "
                             "wait for it to finish or choose another --out") from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        remove_stale_temporaries(out)
        if kind is not None:
            write_json(manifest(kind=kind, status="incomplete"), out / "manifest.json")
        yield out


def _check_same_kind(out: Path, option: str, kind: str) -> None:
    """Refuse a folder that holds another command's results (or files no casim command wrote):
    writing there would mix them with this command's."""
    if not out.is_dir():
        return
    allowed = f"allowed: a new or empty folder, or one written by casim {kind}"
    record = out / "manifest.json"
    if not record.is_file():
        # a command killed before its manifest leaves only its lock, temporaries and folders
        foreign = [entry for entry in out.iterdir() if entry.is_file() and entry.name != LOCK_FILE
                   and not (entry.name.startswith(".") and entry.name.endswith(".tmp"))]
        if foreign:
            raise InputError(f"{option} {out}: holds files that no casim command wrote ({foreign[0].name}, no "
                             f"manifest.json); {allowed}")
        return
    try:
        written_by = json.loads(record.read_text(encoding="utf-8")).get("kind")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        raise InputError(f"{option} {out}: its manifest.json cannot be read; {allowed}") from None
    if written_by != kind:
        raise InputError(f"{option} {out}: holds the results of casim {written_by}; {allowed}")


def write_atomic(path: Path, writer: Callable[[Path], None]) -> Path:
    """Write a file through ``writer(temporary_path)`` and rename it into place."""
    with atomic_path(path) as temporary:
        writer(temporary)
    return Path(path)


def write_table(table: pd.DataFrame, path: Path) -> Path:
    """The tidy table as Parquet, atomically."""
    return write_atomic(path, lambda tmp: table.to_parquet(tmp, index=False))


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    return write_atomic(path, lambda tmp: table.to_csv(tmp, index=False))


def write_json(data: dict, path: Path) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=str) + "\n"))


def read_json(path: Path) -> dict:
    """A JSON object written by casim (a manifest, a provenance record); a missing or damaged
    file raises :class:`InputError` as one line."""
    try:
        data = json.loads(read_text(Path(path), "JSON"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc}); allowed: the file as casim wrote it") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON object; allowed: the file as casim wrote it")
    return data


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Across replicates: mean, standard deviation, 5/50/95% quantiles and replicate count."""
    grouped = table.groupby(["scenario", "year", "scope", "entity", "variable"], observed=True)["value"]
    summary = grouped.agg(mean="mean", sd="std", n_replicates="count")
    quantiles = grouped.quantile([0.05, 0.5, 0.95]).unstack()
    quantiles.columns = ["p05", "median", "p95"]
    return summary.join(quantiles).reset_index()


def git_commit() -> str | None:
    """The commit of the casim checkout this code runs from, with ``-dirty`` if modified."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def code_digest() -> str:
    """SHA-256 of the package's code and data files: tells apart two states of a modified
    checkout, which share one ``-dirty`` commit."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".csv") and "__pycache__" not in p.parts):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def versions() -> dict[str, str | None]:
    """Python and package versions."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def manifest(**fields) -> dict:
    """A manifest: the given fields plus versions, commit, platform, command and time."""
    return {
        **fields,
        "versions": versions(),
        "git_commit": git_commit(),
        "platform": platform.platform(),
        "command": " ".join(sys.argv),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
