"""Sweep files (TOML): which scenarios, which inputs vary, and how they are drawn.

A sweep file names one or more scenario files and the uncertain inputs, each with a
distribution, and how members are drawn: a full ``grid``, or ``latin_hypercube`` /
``monte_carlo`` draws with a seed::

    [sweep]
    name = "demo_usikkerhet"
    scenarios = ["demo.toml"]        # relative to this file
    method = "latin_hypercube"       # or "grid", "monte_carlo"
    members = 16                     # draws (grid: the product of the levels)
    seed = 2024

    [[inputs]]
    target = "model.car_cost_nok_per_km"
    distribution = "uniform"
    low = 2.0
    high = 3.5

    [[inputs]]
    target = "transit.opening_year.Buss 2"
    values = [2027, 2029, 2031]      # discrete, equally likely

Targets (see :mod:`sim.sweep.members` for how each is applied): ``model.<field>`` and
``model.<table>.<key>`` (any :class:`~sim.params.ModelParams` number), ``growth.scale``,
``growth.dwellings_total``, ``growth.jobs_total``, ``growth.<area>.scale``,
``transit.opening_year.<line>`` and ``transit.headway.<line>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats
from scipy.stats import qmc

from sim.scenario.schema import input_text, model_from_toml

Method = Literal["grid", "latin_hypercube", "monte_carlo"]
Distribution = Literal["uniform", "normal", "triangular", "choice"]
_TARGET_HEADS = ("model.", "growth.", "transit.opening_year.", "transit.headway.")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SweepInfo(_Strict):
    """``[sweep]``: name, scenario files and how members are drawn."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[\w.\- ]+$")]
    description: str = ""
    scenarios: Annotated[list[str], Field(min_length=1)]
    method: Method = "latin_hypercube"
    members: Annotated[int, Field(ge=1, le=100_000)] | None = None
    seed: int = 0

    @model_validator(mode="after")
    def _members_for_draws(self) -> Self:
        if self.method != "grid" and self.members is None:
            raise ValueError(f"members is required for method {self.method!r}")
        return self


class Input(_Strict):
    """``[[inputs]]``: one uncertain input and its distribution.

    ``uniform`` (``low``, ``high``), ``normal`` (``mean``, ``sd``, optionally cut at
    ``low``/``high``), ``triangular`` (``low``, ``mode``, ``high``) or ``choice``
    (``values``, equally likely unless ``weights`` are given). On a grid a continuous
    input takes ``levels`` points (quantiles of its distribution).
    """

    target: Annotated[str, Field(min_length=3)]
    name: str = ""
    distribution: Distribution | None = None
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: Annotated[float, Field(gt=0)] | None = None
    mode: float | None = None
    values: list[float] | None = None
    weights: list[Annotated[float, Field(ge=0)]] | None = None
    levels: Annotated[int, Field(ge=2, le=50)] = 3

    @property
    def label(self) -> str:
        """The input's column name: ``name``, or the target."""
        return self.name or self.target

    @property
    def kind(self) -> Distribution:
        """The distribution, ``choice`` when only ``values`` are given."""
        return self.distribution or ("choice" if self.values is not None else "uniform")

    @model_validator(mode="after")
    def _parameters_complete(self) -> Self:
        if not self.target.startswith(_TARGET_HEADS):
            raise ValueError(f"unknown target {self.target!r}; expected one starting with "
                             + ", ".join(_TARGET_HEADS))
        need = {"uniform": ("low", "high"), "normal": ("mean", "sd"),
                "triangular": ("low", "mode", "high"), "choice": ("values",)}[self.kind]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.kind} needs {', '.join(missing)}")
        if self.kind in ("uniform", "triangular") and not self._num("low") < self._num("high"):
            raise ValueError(f"low {self.low} must be below high {self.high}")
        if self.kind == "triangular" and not (self._num("low") <= self._num("mode")
                                              <= self._num("high")):
            raise ValueError(f"mode {self.mode} must lie between low and high")
        if self.kind == "choice":
            if not self.values:
                raise ValueError("values must not be empty")
            if self.weights is not None and (len(self.weights) != len(self.values)
                                             or sum(self.weights) <= 0):
                raise ValueError("weights need one non-negative value per value, not all 0")
        return self

    def _num(self, name: str) -> float:
        value = getattr(self, name)
        if value is None:  # checked by _parameters_complete
            raise ValueError(f"{self.kind} needs {name}")
        return float(value)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Values at probabilities ``u`` in [0, 1) (the inverse distribution function)."""
        kind = self.kind
        if kind == "choice":
            vals = np.asarray(self.values, float)
            w = np.ones(vals.size) if self.weights is None else np.asarray(self.weights, float)
            cum = np.cumsum(w) / w.sum()
            return vals[np.minimum(np.searchsorted(cum, u, side="right"), vals.size - 1)]
        if kind == "normal":
            mean, sd = self._num("mean"), self._num("sd")
            lo = -np.inf if self.low is None else (self.low - mean) / sd
            hi = np.inf if self.high is None else (self.high - mean) / sd
            return np.asarray(stats.truncnorm.ppf(u, lo, hi, loc=mean, scale=sd))
        low, width = self._num("low"), self._num("high") - self._num("low")
        if kind == "uniform":
            return low + u * width
        return np.asarray(stats.triang.ppf(u, (self._num("mode") - low) / width, loc=low,
                                           scale=width))

    def grid_values(self) -> np.ndarray:
        """The input's points on a grid: every value of a choice, else ``levels`` quantiles
        (the ends for uniform and triangular, midpoints of equal-probability bins for
        normal)."""
        if self.kind == "choice":
            return np.asarray(self.values, float)
        if self.kind == "normal":
            return self.quantile((np.arange(self.levels) + 0.5) / self.levels)
        return self.quantile(np.linspace(0.0, 1.0, self.levels))


class SweepSpec(_Strict):
    """A whole sweep file."""

    sweep: SweepInfo
    inputs: list[Input] = []

    @model_validator(mode="after")
    def _distinct_inputs(self) -> Self:
        labels = [i.label for i in self.inputs]
        targets = [i.target for i in self.inputs]
        for name, seen in (("name", labels), ("target", targets)):
            dup = sorted({x for x in seen if seen.count(x) > 1})
            if dup:
                raise ValueError(f"inputs: {name} {dup[0]!r} appears more than once")
        if "scenario" in labels:
            raise ValueError("inputs: 'scenario' is reserved for the choice of scenario file")
        if not self.inputs and len(self.sweep.scenarios) == 1:
            raise ValueError("a sweep needs [[inputs]] or more than one scenario")
        return self


def sweep_from_file(path: Path) -> SweepSpec:
    """Read and validate a sweep file; :class:`InputError` with file and field when bad."""
    return model_from_toml(input_text(path, "sweep file"), path, SweepSpec)


def draw_points(spec: SweepSpec) -> list[dict[str, float]]:
    """The members' input values, in member order (deterministic for a given seed).

    Several scenario files add a discrete input ``scenario`` (the file's position in
    ``[sweep].scenarios``). A grid is the product of every input's grid values;
    Latin-hypercube draws stratify each input into ``members`` equal-probability bins;
    Monte Carlo draws are independent uniform numbers mapped through each distribution.
    """
    info = spec.sweep
    inputs = list(spec.inputs)
    if len(info.scenarios) > 1:
        inputs.insert(0, Input.model_construct(  # not a target: the member's scenario file
            target="scenario", name="scenario", values=[float(i) for i in
                                                        range(len(info.scenarios))]))
    labels = [i.label for i in inputs]
    if info.method == "grid":
        axes = [i.grid_values() for i in inputs]
        mesh = np.meshgrid(*axes, indexing="ij")
        table = np.column_stack([m.ravel() for m in mesh])
    else:
        n = int(info.members or 0)
        if info.method == "latin_hypercube":
            u = qmc.LatinHypercube(d=len(inputs), seed=np.random.default_rng(info.seed)).random(n)
        else:
            u = np.random.default_rng(info.seed).random((n, len(inputs)))
        table = np.column_stack([i.quantile(u[:, k]) for k, i in enumerate(inputs)])
    return [dict(zip(labels, (float(v) for v in row), strict=True)) for row in table]
