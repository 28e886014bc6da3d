"""File-system helpers used everywhere: atomic directories and files, hashes, stable JSON.

A directory the program writes (a result, a comparison, a report, a region bundle)
is built in a temporary directory beside its target and swapped in only when
complete, so a failure or a kill never leaves half of it behind.

>>> sha256_text("nullvekst")[:12]
'0a6b4165d35f'
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

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


def replace_dir(new: Path, target: Path) -> None:
    """Move directory ``new`` to ``target``, replacing an earlier one at the last moment."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(target)


@contextmanager
def atomic_dir(target: Path | str) -> Iterator[Path]:
    """A temporary directory beside ``target`` that replaces it when the block completes.

    On any exception (a kill included, as far as Python sees it) the temporary
    directory is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
