"""Regions: the model of a place, region packs (facts with sources), the build from input
files, labelled proxies and the gap-filling lattice, the cached bundle and the demo.

Load a region with :func:`sim.region.load.load_region`.
"""
