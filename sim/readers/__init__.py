"""Readers of input files and online sources: OSM streets and POIs, GTFS timetables,
vector layers (boundary, population grid), facility files and downloads.

Readers know nothing of regions or scenarios: they return plain tables and the shared
types of :mod:`sim.domain`.
"""
