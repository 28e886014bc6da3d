"""File-system helpers used everywhere: atomic directories and files, hashes, stable JSON.

A directory the program writes (a result, a comparison, a report, a region bundle)
is built in a temporary directory beside its target and swapped in only when
complete, so a failure or a kill never leaves half of it behind.

>>> sha256_text("nullvekst")[:12]
'0a6b4165d35f'
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from sim import settings
from sim.errors import InputError

#: Significant digits of floats written to JSON (stable across platforms and runs).
JSON_DIGITS = 10


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """Hex sha256 of a text (UTF-8)."""
    return sha256_bytes(text.encode("utf-8"))


def sha256_file(path: Path | str, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def json_clean(value: Any) -> Any:
    """JSON-safe, deterministic values: floats rounded to :data:`JSON_DIGITS` significant
    digits, non-finite floats as ``None``, numpy scalars as Python numbers.

    >>> json_clean({"a": np.float64(1 / 3), "b": float("inf"), "c": (np.int64(2), True)})
    {'a': 0.3333333333, 'b': None, 'c': [2, True]}
    """
    if isinstance(value, dict):
        return {str(k): json_clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_clean(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return None
        return float(f"{v:.{JSON_DIGITS}g}")
    return value


def json_text(data: Any) -> str:
    """Deterministic JSON text: cleaned values, sorted keys, two-space indent."""
    return json.dumps(json_clean(data), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json(data: Any, path: Path | str) -> Path:
    """Write ``data`` as deterministic JSON (see :func:`json_text`), atomically."""
    return write_text_atomic(path, json_text(data))


def save_checked(path: Path, write: Callable[[Path], None]) -> None:
    """Write a cache file through ``write(tmp)`` and record its sha256 beside it.

    The file is written to a temporary name first and renamed into place; the checksum
    file ``<name>.sha256`` is written last, so a kill at any moment leaves either nothing
    usable or a complete, verifiable pair. Temporary files never outlive the call.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent, f".{path.stem}.")
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}-{os.urandom(4).hex()}{path.suffix}")
    try:
        write(tmp)
        digest = sha256_file(tmp)
        tmp.replace(path)
        write_text_atomic(path.with_name(path.name + ".sha256"), digest + "\n")
    finally:
        tmp.unlink(missing_ok=True)


def checked(path: Path) -> str | None:
    """Why the cache file ``path`` cannot be used (``None`` when its checksum matches)."""
    mark = path.with_name(path.name + ".sha256")
    if not path.is_file():
        return None if not mark.exists() else "checksum without file"
    try:
        recorded = mark.read_text(encoding="utf-8").strip()
    except OSError:
        return "no checksum recorded"
    return None if recorded == sha256_file(path) else "checksum mismatch"


def discard(path: Path) -> None:
    """Remove a cache file and its checksum."""
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".sha256").unlink(missing_ok=True)


#: A name that may become a file or directory name: letters (Norwegian ones too), digits,
#: space and ``_-.()+``; not starting with a dot, at most 100 characters.
SAFE_NAME = re.compile(r"^[\w\-(][\w.\-()+ ]{0,99}$")

#: A region name: lower-case letters, digits, ``_`` and ``-`` (the pack's folder name).
REGION_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


def check_safe_name(name: str, what: str = "name") -> str:
    """``name`` if it can be used as a file name on its own; else ``ValueError``.

    >>> check_safe_name("arealstrategi_2040")
    'arealstrategi_2040'
    >>> check_safe_name("../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: name '../x' cannot be a file name (expected letters, digits, ...)
    """
    if not SAFE_NAME.fullmatch(name):
        raise ValueError(f"{what} {name[:120]!r} cannot be a file name (expected letters, "
                         "digits, space and _-.()+, not starting with a dot, at most 100 "
                         "characters)")
    return name


#: Marker file written into every directory the program makes (results, comparisons,
#: reports, bundles); only a directory holding it is ever replaced without ``--force``.
MARKER = ".baerum-sim"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


_TEMPORARY = re.compile(r"\.(?:tmp|old)-(\d+)(?:-|\.|$)")


def remove_stale_temporaries(directory: Path, prefix: str = ".") -> list[Path]:
    """Remove temporaries (``.NAME.tmp-PID-…``, ``.NAME.old-PID``) that killed runs left in
    ``directory``; only names starting with ``prefix`` and only when that process is gone.
    Returns what was removed."""
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for path in directory.glob(f"{glob.escape(prefix)}*"):
        match = _TEMPORARY.search(path.name, len(prefix) - 1)
        if match is None or _pid_alive(int(match.group(1))):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _protected() -> list[Path]:
    """Directories never replaced, whatever ``--force`` says."""
    home = Path.home().resolve()
    return [Path("/").resolve(), home, Path.cwd().resolve(), settings.REPO_ROOT.resolve(),
            settings.RESULTS_DIR.resolve(), settings.NETWORK_DATA_DIR.resolve()]


def check_replaceable(target: Path, force: bool = False,
                      inputs: tuple[Path, ...] = ()) -> None:
    """Refuse (:class:`InputError`) to write a directory where the program could destroy
    files it did not make.

    Refused outright: an existing file, the working directory, the results root, the
    repository, the home directory, any of their parents, and ``inputs`` or a parent
    of one. An existing non-empty directory without :data:`MARKER` needs ``force``.
    """
    if str(target) in ("", "."):
        raise InputError(f"{str(target)!r}: expected a directory name for the output")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InputError(f"{target}: exists and is not a directory; refusing to replace it")
    resolved = target.resolve()
    for place in _protected():
        if resolved == place or resolved in place.parents:
            raise InputError(f"{target}: is {place} or one of its parents; refusing to "
                             "replace it (give a directory of its own)")
    for source in inputs:
        src = Path(source).resolve()
        if resolved == src or resolved in src.parents:
            raise InputError(f"{target}: would replace the input {source}")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists() and not force:
        raise InputError(f"{target}: exists and was not made by baerum-sim (no {MARKER} "
                         "marker); use --force to replace it")


def check_writable(target: Path) -> None:
    """:class:`InputError` unless a directory can be created beside ``target`` (checked
    before a long computation, so it does not fail at the very end)."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=f".{target.name}.probe-", dir=parent))
        probe.rmdir()
    except OSError as exc:
        raise InputError(f"{target}: cannot write here ({exc.strerror or exc})") from None


def replace_dir(new: Path, target: Path) -> None:
    """Move directory ``new`` to ``target``, replacing an earlier one at the last moment."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(target)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_dir(target: Path | str, kind: str, force: bool = False,
               inputs: tuple[Path, ...] = ()) -> Iterator[Path]:
    """A temporary directory beside ``target`` that replaces it when the block completes.

    ``kind`` (``result``, ``comparison``, ``report``, ``bundle``) goes into the
    :data:`MARKER` file. :func:`check_replaceable` guards what may be replaced; stale
    temporaries of killed runs are removed first. On any exception the temporary
    directory is removed and ``target`` is left as it was; an ``OSError`` (disk full,
    read-only) becomes one :class:`InputError` line.
    """
    target = Path(target)
    check_replaceable(target, force, inputs)
    check_writable(target)
    remove_stale_temporaries(target.parent, f".{target.name}.")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        tmp.chmod(0o777 & ~_umask())
        (tmp / MARKER).write_text(json.dumps({"kind": kind}) + "\n", encoding="utf-8")
        yield tmp
        replace_dir(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        where = f" {exc.filename}" if exc.filename else ""
        raise InputError(f"{target}: cannot write{where} ({exc.strerror or exc})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
