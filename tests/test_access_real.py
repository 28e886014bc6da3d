"""Walking distances on the real Fornebu–Lysaker streets agree with networkx on osmnx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from fixtures.baerum import DATA
from fixtures.overpass import deviated_filter, osmnx_oracle

from sim.graph import Graph, multi_source
from sim.readers.osm import streets_from_osm

pytestmark = pytest.mark.skipif(
    DATA is None, reason="shared real data directory (../shared/data, $BAERUM_SIM_DATA) absent"
)


@pytest.fixture(scope="module")
def osm():
    import osmnx as ox

    path = DATA / "fornebu_lysaker_2026-03.osm.bz2"
    graph = osmnx_oracle(path, "walk", deviated_filter("walk"))
    return streets_from_osm([path]), ox.project_graph(graph, to_crs="EPSG:25833")


@pytest.fixture(scope="module")
def region(baerum_region):
    return baerum_region


def test_lysaker_distances_match_networkx(osm, region) -> None:
    import osmnx as ox

    streets, projected = osm
    walk = streets.walk
    g = Graph.from_edges(streets.u[walk], streets.v[walk], streets.length_m[walk],
                         streets.n_nodes)
    # networkx oracle: osmnx's walk graph of the same file (with the documented
    # Norwegian rules), osmnx lengths (great-circle, as the import's)
    oracle = nx.Graph()
    for u, v, data in projected.edges(data=True):
        if u != v and (not oracle.has_edge(u, v) or oracle[u][v]["length"] > data["length"]):
            oracle.add_edge(u, v, length=max(float(data["length"]), 0.5))
    lysaker = region.stops["Lysaker"]
    # sample: populated cells inside the extract
    cells = region.cells[(region.cells.population > 0)
                         & region.cells.x.between(streets.node_x.min(), streets.node_x.max())
                         & region.cells.y.between(streets.node_y.min(), streets.node_y.max())]
    cells = cells.iloc[:: max(1, len(cells) // 25)]
    assert len(cells) >= 15

    def ours_nearest(x, y):
        d = np.hypot(streets.node_x[None, :] - np.atleast_1d(x)[:, None],
                     streets.node_y[None, :] - np.atleast_1d(y)[:, None])
        d[:, ~np.isin(np.arange(streets.n_nodes), np.r_[streets.u[walk], streets.v[walk]])] = (
            np.inf)
        return d.argmin(axis=1)

    src = ours_nearest(lysaker.x, lysaker.y)
    dist, _ = multi_source(g, src)
    ours = dist[ours_nearest(cells.x.to_numpy(), cells.y.to_numpy())]

    target = ox.distance.nearest_nodes(projected.subgraph(oracle.nodes), lysaker.x, lysaker.y)
    lengths = nx.single_source_dijkstra_path_length(oracle, target, weight="length")
    cell_nodes = ox.distance.nearest_nodes(projected.subgraph(oracle.nodes),
                                           cells.x.to_numpy(), cells.y.to_numpy())
    expected = np.array([lengths.get(n, np.inf) for n in cell_nodes])
    assert np.isfinite(expected).mean() > 0.8
    np.testing.assert_allclose(ours, expected, rtol=1e-9)
