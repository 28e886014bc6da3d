"""Outputs: the typed result summary, the result directory, plots, comparisons, reports.

Output reads only the typed :class:`~sim.output.summary.Summary` and the per-cell layer
of a result; :func:`~sim.output.summary.summary_from_simulation` is the one bridge from
the model.
"""
