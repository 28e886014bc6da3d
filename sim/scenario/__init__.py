"""Scenario files: the TOML schema with its loader, and the edits applied per year.

Read a file with :func:`sim.scenario.schema.scenario_from_file`.
"""
