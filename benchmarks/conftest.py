"""Fixtures for the shortest-path benchmarks (run with ``--benchmark-enable``).

Graphs:

* ``demo``: the walk network of the synthetic demo region (:mod:`sim.demo`), about
  10,600 nodes.
* ``oslo``: the real Oslo-east street network from ``oslo_east.osm.pbf`` in the
  shared data directory, built with pyosmium + osmnx and cached as an npz under
  ``.benchmarks/`` keyed by the PBF's hash. Skipped when the data is absent.

``BENCH_SHORT=1`` selects the short (CI) mode: fewer origins and rounds.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # allow running without PYTHONPATH=. / installation
    sys.path.insert(0, str(REPO_ROOT))

from sim.graph import Graph  # noqa: E402
from sim.settings import shared_data_dir  # noqa: E402

SHORT = os.environ.get("BENCH_SHORT", "") not in ("", "0")
MODE = "short" if SHORT else "full"
CACHE_DIR = REPO_ROOT / ".benchmarks" / "graph_cache"


@dataclass
class Params:
    """Sizes of the benchmark cases for the current mode."""

    n_origins: int  # one-to-all origins
    n_nx: int  # networkx origins (scaled up to n_origins)
    n_sources: int  # nearest-facility sources
    n_matrix: int  # many-to-many origins = destinations
    rounds: int  # rounds for ours and the fast anchors (scipy)
    mode: str
    cutoff: float = 2000.0


PARAMS = (
    Params(n_origins=100, n_nx=5, n_sources=50, n_matrix=200, rounds=7, mode="short")
    if SHORT
    else Params(n_origins=1000, n_nx=10, n_sources=50, n_matrix=1000, rounds=5, mode="full")
)


def _pbf_to_graph(pbf: Path) -> Graph:
    """PBF -> the project's own street reader (:func:`sim.readers.osm.graph_from_osm`, pyosmium +
    osmnx, simplified) -> EPSG:25833 -> Graph."""
    import osmnx as ox

    from sim.readers.osm import graph_from_osm

    G = ox.project_graph(graph_from_osm([pbf]), to_crs="EPSG:25833")
    return Graph.from_networkx(G, weight="length")


def load_oslo_graph() -> Graph:
    """The Oslo-east street graph, from the npz cache when present."""
    data = shared_data_dir()
    pbf = (data or Path("../shared/data")) / "oslo_east.osm.pbf"
    if not pbf.exists():
        pytest.skip(f"shared data not available: {pbf} does not exist")
    reader = REPO_ROOT / "sim" / "readers" / "osm.py"  # a change of the reader rebuilds the graph
    digest = hashlib.sha256(pbf.read_bytes() + reader.read_bytes()).hexdigest()[:16]
    cache = CACHE_DIR / f"oslo_east_{digest}.npz"
    if cache.exists():
        z = np.load(cache)
        return Graph(
            indptr=z["indptr"],
            indices=z["indices"],
            weights=z["weights"],
            directed=bool(z["directed"]),
            x=z["x"],
            y=z["y"],
            node_ids=z["node_ids"],
        )
    g = _pbf_to_graph(pbf)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        indptr=g.indptr,
        indices=g.indices,
        weights=g.weights,
        directed=g.directed,
        x=g.x,
        y=g.y,
        node_ids=g.node_ids,
    )
    tmp.replace(cache)
    return g


def load_demo_graph() -> Graph:
    """The walk network of the synthetic demo region (:mod:`sim.demo`), undirected."""
    from sim.region.demo import demo_region

    s = demo_region().streets
    return Graph.from_edges(s.u[s.walk], s.v[s.walk], s.length_m[s.walk], s.n_nodes,
                            x=s.node_x, y=s.node_y)


@pytest.fixture(scope="session", params=["demo", "oslo"])
def bench_graph(request: pytest.FixtureRequest) -> tuple[str, Graph]:
    """(name, graph) for each benchmark graph."""
    name = request.param
    g = load_demo_graph() if name == "demo" else load_oslo_graph()
    return name, g


@pytest.fixture(scope="session")
def bench_params() -> Params:
    """Benchmark sizes for the current mode (``BENCH_SHORT``)."""
    return PARAMS
