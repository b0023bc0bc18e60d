"""Array-based union-find: which records belong together, given pairs that match.

Pure: takes NumPy arrays of node ids, returns NumPy arrays. The components are found by
SciPy's compiled graph search over a sparse adjacency matrix (O(nodes + edges), no Python
loop), which is the same partition a union-find with path compression builds; each
component is named by its smallest node id so the oldest record survives a merge.
SciPy is imported on the first call, not with the module.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kizuna.errors import InvalidInput

__all__ = ["IntArray", "group_roots"]

IntArray = npt.NDArray[np.int64]


def group_roots(left: IntArray, right: IntArray) -> tuple[IntArray, IntArray]:
    """Join `left[i]` with `right[i]` for every i; return (nodes, root of each node).

    `nodes` are the distinct ids seen in either array, sorted; `roots[k]` is the smallest
    id in the component of `nodes[k]`. Ids may be any int64 (database ids), not 0..n-1.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    if left.shape != right.shape or left.ndim != 1:
        raise InvalidInput(
            f"left and right must be flat arrays of the same length (one pair per index); "
            f"got shapes {left.shape} and {right.shape}.",
            f"left と right は同じ長さの1次元配列(添字ごとに1組)にしてください"
            f"(形: {left.shape} と {right.shape})。",
        )
    nodes, inverse = np.unique(np.concatenate([left, right]), return_inverse=True)
    if nodes.size == 0:
        return nodes, nodes.copy()
    a, b = inverse[: left.size], inverse[left.size :]
    graph = coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(nodes.size, nodes.size))
    _, labels = connected_components(graph, directed=False)
    # nodes are sorted, so the first index of each label holds its smallest id.
    smallest = np.full(labels.max() + 1, nodes.size, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(nodes.size, dtype=np.int64))
    return nodes, nodes[smallest[labels]]
