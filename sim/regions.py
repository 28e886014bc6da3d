"""Find a region by name: the built-in synthetic demo or a region pack."""

from __future__ import annotations

from sim.region import Region


def load_region(name: str, quiet: bool = False) -> Region:
    """Load region ``name``; ``"demo"`` is the synthetic demo region.

    Region packs live in ``network_data/<name>/``; their bundle is built from the
    inputs when missing (see :mod:`sim.data`).
    """
    if name == "demo":
        from sim.demo import demo_region

        return demo_region()
    from sim.data import load_region as load_pack_region

    return load_pack_region(name, quiet=quiet)
