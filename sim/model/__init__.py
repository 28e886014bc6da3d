"""The model: network, zones, skims, access, demand, calibration, assignment, goals.

:func:`sim.model.simulation.simulate` runs every stage for every modelled year and
returns a :class:`~sim.model.simulation.Simulation`; it never reads or writes files.
"""
