"""Ensembles of scenario runs (sweeps) on Dask, and what they say about the goals.

A sweep file (:mod:`sim.sweep.spec`) names scenarios and uncertain inputs with their
distributions; :func:`run_sweep` draws the members, runs them on Dask workers
(:mod:`sim.sweep.execute`), stores one record per member so that a rerun resumes,
and writes the results table and the verdict probabilities, quantiles and
sensitivities (:mod:`sim.sweep.analysis`).
"""

from sim.sweep.run import SweepRun, run_sweep
from sim.sweep.spec import SweepSpec, sweep_from_file

__all__ = ["SweepRun", "SweepSpec", "run_sweep", "sweep_from_file"]
