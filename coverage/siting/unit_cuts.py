"""Cover cuts for the unit model: sites a covered unit cannot do without.

A unit ``u`` not yet covered may leave at most ``slack_u`` of its reachable people
uncovered (its reachable people minus the ``s P_u - B_u`` it needs). Take a set
``K`` of candidate sites and the demand rows of ``u`` that only sites of ``K``
reach; when those rows hold ``H > slack_u`` people, covering ``u`` needs at least
``H - slack_u`` of them, so at least ``r`` sites of ``K``, ``r`` the fewest whose
people among those rows reach ``H - slack_u``::

    sum_{j in K} x_j >= r z_u

In the LP relaxation a unit can be covered by many sites each a little open; these
rows forbid it where the unit's people sit. :func:`must_cover_cuts` takes, for each
demand row ``i`` of ``u``, ``K`` the sites reaching ``i`` (every row whose sites all
reach ``i`` is lost with it), keeping the rows whose ``K`` is minimal. (A separation
loop over LP solutions was measured too: on the Comoros it cost more time than the
bound it gained.)

Every row is valid for every integer solution (whatever the objective), so the
optimum is unchanged; the tests check it against enumeration.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .unit_milp import UnitModel

__all__ = ["must_cover_cuts"]

# people: a row is cut only when the rows lost exceed the slack by this share of the need
_TOL = 1e-6


def _fewest(contrib: np.ndarray, short: float, need: float) -> int:
    """Fewest sites whose people (``contrib``) reach ``short`` (at least 1)."""
    ranked = np.cumsum(np.sort(contrib)[::-1])
    m = int(np.searchsorted(ranked, short - 1e-9 * max(need, 1.0))) + 1
    return max(1, min(m, contrib.size))


def _unit_rows(model: UnitModel, rows: np.ndarray) -> sp.csr_matrix:
    a = sp.csr_matrix(model.merged[rows])
    a.data[:] = 1.0
    return a


def must_cover_cuts(model: UnitModel) -> sp.csr_matrix:
    """The static family: one row per demand row whose loss alone exceeds the slack.

    Parameters
    ----------
    model : UnitModel
        The unit model (with its ``covers``).

    Returns
    -------
    scipy.sparse.csr_matrix
        Rows over the model's columns, each ``>= 0``.
    """
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    n_cut = 0
    for z_col, inside, slack, need in model.covers:
        if inside.size == 0:
            continue
        a = _unit_rows(model, inside)
        size = np.diff(a.indptr).astype(float)
        people = model.weight[inside]
        overlap = sp.csr_matrix(a @ a.T)  # |N(r) & N(i)|
        subset = sp.csr_matrix(overlap.multiply(overlap >= size[:, None] - 0.5))
        subset.eliminate_zeros()
        subset.data[:] = 1.0  # subset[r, i]: every site reaching r reaches i
        held = np.asarray(subset.T @ people).ravel()
        must = np.flatnonzero(held > slack + _TOL * max(need, 1.0))
        if must.size == 0:
            continue
        # keep the rows whose site sets are minimal (the others follow from them)
        sub = overlap[must][:, must].toarray()
        s = size[must]
        within = sub >= s[:, None] - 0.5
        strict = within & (s[:, None] < s[None, :])
        same = np.tril(within & (s[:, None] == s[None, :]), -1)
        by_col = sp.csc_matrix(subset)
        for i in must[~(strict.any(axis=0) | same.any(axis=0))]:
            sites = a.indices[a.indptr[i] : a.indptr[i + 1]]
            lost = by_col.indices[by_col.indptr[i] : by_col.indptr[i + 1]]
            contrib = np.asarray(a[lost][:, sites].T @ people[lost]).ravel()
            r = _fewest(contrib, float(held[i] - slack), need)
            rows += [n_cut] * (sites.size + 1)
            cols += [*sites.tolist(), z_col]
            vals += [1.0] * sites.size + [-float(r)]
            n_cut += 1
    return sp.csr_matrix((vals, (rows, cols)), shape=(n_cut, model.n_cols))
