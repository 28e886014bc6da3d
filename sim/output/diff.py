"""Differences between two result summaries, key by key (used by ``rerun``).

>>> [str(d) for d in diff_summaries({"a": 1.0, "b": [1, 2]}, {"a": 1.5, "b": [1, 3]})]
['a: 1 → 1.5', 'b[1]: 2 → 3']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.output.summary import VOLATILE_KEYS


@dataclass(frozen=True)
class Difference:
    """One key whose value differs between two summaries (``MISSING`` when absent)."""

    key: str
    old: Any
    new: Any

    def __str__(self) -> str:
        old, new = _format_pair(self.old, self.new)
        return f"{self.key}: {old} → {new}"


MISSING = object()


def _format_pair(old: Any, new: Any) -> tuple[str, str]:
    """Short forms of two values, with just enough digits to tell floats apart."""
    if isinstance(old, float) and isinstance(new, float):
        for digits in range(4, 18):
            a, b = f"{old:.{digits}g}", f"{new:.{digits}g}"
            if a != b:
                return a, b
        return repr(old), repr(new)
    return _short(old), _short(new)


def _short(value: Any) -> str:
    if value is MISSING:
        return "(missing)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def diff_summaries(old: Any, new: Any, prefix: str = "",
                   ignore: tuple[str, ...] = VOLATILE_KEYS) -> list[Difference]:
    """Differences between two summaries, by dotted key (list items as ``key[i]``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        diffs = []
        for k in sorted(set(old) | set(new), key=str):
            key = f"{prefix}.{k}" if prefix else str(k)
            if key in ignore:
                continue
            diffs += diff_summaries(old.get(k, MISSING), new.get(k, MISSING), key, ignore)
        return diffs
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        diffs = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            diffs += diff_summaries(a, b, f"{prefix}[{i}]", ignore)
        return diffs
    if type(old) is not type(new) or old != new:
        return [Difference(prefix, old, new)]
    return []
