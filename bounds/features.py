"""Function approximation on the support of μ ⊗ π_b: A5, A6, ε_approx, C_F, θ* (docs/theory.md §5).

A feature map is an array ``Φ`` of shape (n_obs_pairs, d), row ``φ(ô,j)`` with ``‖φ‖₂ ≤ 1``:
one-hot ("tabular"), user-supplied, or the tangent features of a network at initialisation.
``Q_θ(ô,j) = φ(ô,j)ᵀθ``. Everything lives on the support ``S = {(ô,j) : w(ô,j) > 0}``,
``w(ô,j) = μ(ô) π_b(j|ô)``, the pairs the learner updates (:func:`support`).

- ``Σ = Σ_{(ô,j)∈S} w φφᵀ``, ``ω = λ_min(Σ) > 0``                                     (A5)
- ``κ² = sup_{u≠0} E[γ^{2τ} max_{b∈J(ô')} (φ(ô',b)ᵀu)²] / E[(φ(ô,j)ᵀu)²] < 1``          (A6)

with (y, j) ~ μ ⊗ π_b and (τ, y') the outcome, ``ô' = σ(y')``; episode ends contribute 0. The
numerator is ``Σ_ô' M(ô') max_b (φ(ô',b)ᵀu)²`` with ``M(ô') = E[γ^{2τ} 1{σ(Y') = ô'}]``, so
``κ² = max over assignments b(·) of λ_max(N_b, Σ)``, ``N_b = Σ_ô' M(ô') φ_bφ_bᵀ``:

- exact by enumerating assignments when there are few (and in closed form for the tabular
  features, ``κ² = max_{(ô',b)∈S} M(ô')/w(ô',b)``, and for any features with at most one
  nonzero entry per row, whose Σ and N_b are diagonal: :func:`_kappa_one_hot`);
- a sound upper bound with ``max_b`` replaced by ``Σ_b``;
- a lower bound from a local search, whose direction u is a witness: if its ratio is ≥ 1,
  A6 fails.

The tabular features here are one-hot on the support (zero rows off it): the learner's table
entries that are ever updated. Pairs off the support keep their initial value (0).

ε_approx is ``‖Q_θ̃ − Q̂*‖∞`` for an exhibited θ̃ (Chebyshev fit by linear programming when
small, else the μ-projection), over the pairs T̂ reads from S (S and every admissible pair at
its successor observations, see :func:`epsilon_approx`); Lemma F:
``‖Q_θ* − Q̂*‖_μ ≤ C_F ε_approx`` with ``C_F = 1 + (1 + γ̄)/(1 − κ)`` (Approximation.v
``approximation_constant``).

>>> from icq.reference.model import load, example_path
>>> from icq.bounds.setting import prepare
>>> s = prepare(load(example_path("ring-exact")))
>>> sup = support(s.model, s.mu)
>>> phi = tabular_features(s.model, sup)
>>> k = kappa(s.model, phi, sup, s.mu, tabular=True)
>>> k.exact, k.a6_holds
(True, False)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.optimize as so
import scipy.sparse as sp

from icq.bounds import symbolic as S
from icq.bounds.setting import exact_solve
from icq.bounds.terms import Term
from icq.reference.exact.chain import pair_weights
from icq.reference.model import SMDP, EpochModel

__all__ = [
    "Approximation", "FixedPoint", "Kappa", "Omega", "Support", "approximation_constant",
    "epsilon_approx", "feature_covariance", "kappa", "next_obs_weights", "omega",
    "projected_fixed_point", "support", "tabular_features", "top_gram_eigenpair",
]

#: relative threshold below which an eigenvalue of Σ counts as zero
EIG_TOL = 1e-12
#: enumerate assignments b(·) for the exact κ up to this many
MAX_ASSIGNMENTS = 4096
#: Chebyshev fit by linear programming up to this many (support pairs × features)
LP_MAX = 200_000


@dataclass(frozen=True, eq=False)
class Support:
    """The support of μ ⊗ π_b over observation pairs (docs/theory.md §5).

    Attributes
    ----------
    w : (n_obs_pairs,) ``w(ô,j) = μ(ô) π_b(j|ô)``
    mask : (n_obs_pairs,) ``w > 0``
    outside : number of observation pairs outside the support (never updated by the learner)
    read : (n_obs_pairs,) the pairs T̂ reads on the support: the support and every admissible
        pair ``(ô', b)`` at an observation ô' that follows a support pair with positive
        probability (``max_b`` in the target reads them all)
    method : how it was computed
    """

    w: np.ndarray
    mask: np.ndarray
    outside: int
    read: np.ndarray
    method: str


def support(model: EpochModel, mu: np.ndarray, behavior: np.ndarray | None = None) -> Support:
    """``w(ô,j) = μ(ô) π_b(j|ô)`` with ``μ(ô) = Σ_{y∈σ⁻¹(ô)} μ(y)``, and its support
    (``behavior``: π_b, default the model's)."""
    beh = model.behavior if behavior is None else np.asarray(behavior, dtype=float)
    mu_obs = np.bincount(model.state_obs, np.asarray(mu, dtype=float), minlength=model.n_obs)
    w = mu_obs[model.obs_pair_obs] * beh
    mask = w > 0
    nxt = np.asarray(model.obs_states.T @ (model.P.T @ pair_weights(model, mu, beh))).ravel()
    read = mask | (nxt[model.obs_pair_obs] > 0)
    return Support(w=w, mask=mask, outside=int((~mask).sum()), read=read,
                   method="μ(ô)π_b(j|ô) with μ the stationary law of the behaviour chain")


def tabular_features(model: EpochModel, sup: Support) -> np.ndarray:
    """(n_obs_pairs, |S|) one-hot features of the support pairs; rows off the support are 0."""
    idx = np.flatnonzero(sup.mask)
    phi = np.zeros((model.n_obs_pairs, len(idx)))
    phi[idx, np.arange(len(idx))] = 1.0
    return phi


def next_obs_weights(model: EpochModel, mu: np.ndarray, behavior: np.ndarray | None = None
                     ) -> np.ndarray:
    """(n_obs,) ``M(ô') = E_{μ⊗π_b}[γ^{2τ} 1{σ(Y') = ô'}]`` (episode ends contribute 0)."""
    w = pair_weights(model, mu, behavior)
    return np.asarray(model.obs_states.T @ (model.K2.T @ w)).ravel()


def feature_covariance(phi: np.ndarray, sup: Support) -> np.ndarray:
    """``Σ = Σ_{(ô,j)∈S} w φφᵀ`` (d × d)."""
    ps = phi[sup.mask]
    return ps.T @ (ps * sup.w[sup.mask, None])


# ---------------------------------------------------------------------------------------------
# A5
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Omega:
    """A5: ``ω = λ_min(Σ)``.

    Attributes
    ----------
    value : ``λ_min(Σ)`` (0 when Σ is singular)
    nonzero : the smallest nonzero eigenvalue (the paper's reading of A5), for information
    rank, dim : rank of Σ and the feature dimension d
    holds : ``ω > 0``
    method : how it was computed
    """

    value: float
    nonzero: float
    rank: int
    dim: int
    holds: bool
    method: str


def omega(phi: np.ndarray | None, sup: Support, *, tabular: bool = False) -> Omega:
    """A5 (docs/theory.md §5): ``ω = λ_min(Σ)``; Σ is singular whenever d exceeds the support.

    With ``tabular`` (one-hot on the support, ``phi`` may be None) Σ = diag(w) on the support
    and ``ω = min w``.
    """
    if tabular:
        w = sup.w[sup.mask]
        val = float(w.min()) if len(w) else 0.0
        return Omega(value=val, nonzero=val, rank=len(w), dim=len(w), holds=val > 0,
                     method="closed form ω = min over support pairs of w (one-hot features)")
    d = phi.shape[1]
    ps = phi[sup.mask] * np.sqrt(sup.w[sup.mask])[:, None]
    sv = np.linalg.svd(ps, compute_uv=False)
    eig = np.sort(sv**2)
    top = float(eig[-1]) if len(eig) else 0.0
    nz = eig[eig > EIG_TOL * max(top, 1e-300)]
    rank = len(nz)
    lam_min = float(eig[0]) if rank == d and len(eig) == d else 0.0
    holds = rank == d and lam_min > 0
    how = "singular values of diag(√w)Φ_S (Σ = Φ_Sᵀ diag(w) Φ_S)"
    if not holds:
        how += f"; Σ is singular (rank {rank} < d = {d}), so λ_min(Σ) = 0"
    return Omega(value=lam_min if holds else 0.0, nonzero=float(nz[0]) if rank else 0.0,
                 rank=rank, dim=d, holds=holds, method=how)


# ---------------------------------------------------------------------------------------------
# A6
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Kappa:
    """A6: κ, with bounds, exactness and a witness.

    Attributes
    ----------
    kappa : the exact κ when ``exact``, else the sound upper bound
    lower, upper : ``κ_lower ≤ κ ≤ κ_upper`` (``inf`` when a direction with ``uᵀΣu = 0`` has a
        positive numerator)
    exact : whether ``kappa`` is exact
    a6_holds : True when ``upper < 1``, False when ``lower ≥ 1``, None when undecided
    witness : (d,) a direction u attaining ``lower`` (None for the tabular closed form)
    witness_pair : for the tabular closed form, the observation pair attaining the maximum
    n_assignments : number of assignments b(·)
    method : how it was computed
    """

    kappa: float
    lower: float
    upper: float
    exact: bool
    a6_holds: bool | None
    witness: np.ndarray | None
    witness_pair: int | None
    n_assignments: int
    method: str


def _verdict(lower: float, upper: float) -> bool | None:
    if upper < 1.0:
        return True
    if lower >= 1.0:
        return False
    return None


def top_gram_eigenpair(B: np.ndarray) -> tuple[float, np.ndarray]:
    """``λ_max(BᵀB)`` and a unit eigenvector, from the smaller Gram matrix (docs/theory.md §5).

    κ² is a largest eigenvalue ``λ_max(N_b)`` with ``N_b = BᵀB`` (B: one row ``√M φᵀL`` per
    successor observation, r whitened columns). ``BᵀB`` (r × r) and ``BBᵀ`` (m × m) have the same
    nonzero eigenvalues, and for ``BBᵀy = λy`` (λ > 0) ``x = Bᵀy/‖Bᵀy‖`` is a unit eigenvector of
    ``BᵀB``; only the top eigenpair of the smaller one is computed (LAPACK ``syevr`` with an
    index subset). When ``λ_max = 0`` every unit vector is an eigenvector: ``e_0`` is returned.

    >>> lam, x = top_gram_eigenpair(np.array([[3.0, 0.0, 0.0]]))
    >>> float(lam), x.tolist()
    (9.0, [1.0, 0.0, 0.0])
    """
    B = np.asarray(B, dtype=float)
    m, r = B.shape
    if r == 0:
        return 0.0, np.zeros(0)
    small = B @ B.T if m < r else B.T @ B
    n = small.shape[0]
    lam, vec = (sla.eigh(small, subset_by_index=[n - 1, n - 1], check_finite=False)
                if n else (np.zeros(1), np.zeros((0, 1))))
    top = max(float(lam[-1]), 0.0)
    x = B.T @ vec[:, -1] if m < r else vec[:, -1]
    nx = float(np.linalg.norm(x))
    if top <= 0.0 or nx == 0.0:
        e = np.zeros(r)
        e[0] = 1.0
        return top, e
    return top, x / nx


def kappa(model: EpochModel, phi: np.ndarray, sup: Support, mu: np.ndarray, *,
          tabular: bool = False, max_assignments: int = MAX_ASSIGNMENTS, restarts: int = 8,
          seed: int = 0, behavior: np.ndarray | None = None) -> Kappa:
    """A6's κ for the feature map ``phi`` (docs/theory.md §5; see the module docstring).

    Parameters
    ----------
    model, phi, sup, mu : the model, (n_obs_pairs, d) features, the support, the weighting μ
    tabular : ``phi`` is :func:`tabular_features` (closed form, exact)
    max_assignments : enumerate assignments up to this many for the exact value
    restarts : local-search starts for the lower bound
    seed : seed of the local search's random starts
    behavior : π_b over observation pairs (default the model's; ``sup`` must be built with it)
    """
    M = next_obs_weights(model, mu, behavior)
    n_assign = math.prod(int(model.obs_ptr[o + 1] - model.obs_ptr[o])
                         for o in range(model.n_obs) if M[o] > 0)
    if tabular:
        idx = np.flatnonzero(sup.mask)
        ratio = M[model.obs_pair_obs[idx]] / sup.w[idx]
        k = int(np.argmax(ratio))
        val = math.sqrt(float(ratio[k]))
        return Kappa(val, val, val, True, _verdict(val, val), None, int(idx[k]), n_assign,
                     "closed form κ² = max over support pairs of M(ô')/w(ô',b) (one-hot "
                     "features on the support)")
    one_hot = _kappa_one_hot(model, np.asarray(phi, dtype=float), sup, M, n_assign)
    if one_hot is not None:
        return one_hot
    return _kappa_general(model, phi, sup, M, n_assign, max_assignments, restarts, seed)


def _kappa_one_hot(model: EpochModel, phi: np.ndarray, sup: Support, M: np.ndarray,
                   n_assign: int) -> Kappa | None:
    """κ in closed form when every row of Φ has at most one nonzero entry (one-hot features up
    to a per-row scale, columns shared between pairs allowed), else None (docs/theory.md §5).

    Then Σ and every N_b are diagonal: ``Σ_cc = Σ_{pairs on the support in column c} w φ²`` and
    ``N_b,cc = Σ_ô' M(ô') φ_{b(ô')}² [b(ô') in column c]``, so
    ``κ² = max_b λ_max(N_b, Σ) = max_c Σ_ô' M(ô') max_{b ∈ ô', in column c} φ_b² / Σ_cc``: the
    best assignment for column c picks, at every successor observation, its largest entry in c.
    A column with ``Σ_cc = 0`` (to ``EIG_TOL``) that a successor pair sees gives κ = ∞, as in
    the general computation; the witness is the coordinate direction of the maximising column.
    """
    if phi.ndim != 2 or phi.shape[0] != model.n_obs_pairs or phi.shape[1] == 0:
        return None
    nz = phi != 0
    if int(nz.sum(1).max(initial=0)) > 1:
        return None
    d = phi.shape[1]
    col = np.argmax(nz, axis=1)
    s2 = np.where(nz.any(1), phi[np.arange(len(phi)), col], 0.0) ** 2
    mask = sup.mask
    sig = np.bincount(col[mask], s2[mask] * sup.w[mask], minlength=d)
    top = float(sig.max(initial=0.0))
    if top <= 0.0:
        return Kappa(math.inf, math.inf, math.inf, True, False, None, None, n_assign,
                     "undefined (reported as ∞): Φ vanishes on the support, Σ = 0")
    # the successor side: per (successor observation ô', column c) the largest φ² in c
    pair_obs = np.asarray(model.obs_pair_obs)
    idx = np.flatnonzero((M[pair_obs] > 0) & (s2 > 0))
    o, c, v = pair_obs[idx], col[idx], s2[idx]
    order = np.lexsort((c, o))
    o, c, v = o[order], c[order], v[order]
    first = (np.flatnonzero(np.r_[True, (o[1:] != o[:-1]) | (c[1:] != c[:-1])]) if len(o)
             else np.zeros(0, dtype=np.int64))
    vmax = np.maximum.reduceat(v, first) if len(o) else np.zeros(0)
    num = np.bincount(c[first], M[o[first]] * vmax, minlength=d)
    null = sig <= EIG_TOL * top
    if np.any(null & (num > 0)):
        return Kappa(math.inf, math.inf, math.inf, True, False, None, None, n_assign,
                     "κ = ∞: a direction u with uᵀΣu = 0 (never updated on the support) "
                     "has φ(ô',b)ᵀu ≠ 0 at a successor observation")
    ratio = np.where(null, 0.0, num / np.where(null, 1.0, sig))
    k = int(np.argmax(ratio))
    val = math.sqrt(float(ratio[k]))
    witness = np.zeros(d)
    witness[k] = 1.0
    return Kappa(val, val, val, True, _verdict(val, val), witness, None, n_assign,
                 "closed form κ² = max over columns c of Σ_ô' M(ô') max_b φ_b² / Σ_cc (features "
                 "one-hot up to scale: Σ and every N_b diagonal)")


def _kappa_general(model: EpochModel, phi: np.ndarray, sup: Support, M: np.ndarray,
                   n_assign: int, max_assignments: int, restarts: int, seed: int) -> Kappa:
    # reduce to the row space of Φ (directions orthogonal to every row give 0/0)
    _, sv, vt = np.linalg.svd(phi, full_matrices=False)
    keep = sv > EIG_TOL * max(float(sv.max(initial=0.0)), 1e-300)
    V = vt[keep].T  # (d, r)
    psi = phi @ V  # (n_obs_pairs, r)
    ps = psi[sup.mask]
    sigma = ps.T @ (ps * sup.w[sup.mask, None])
    lam, U = np.linalg.eigh(sigma)
    top = float(lam.max(initial=0.0))
    pos = lam > EIG_TOL * max(top, 1e-300)
    L = U[:, pos] / np.sqrt(lam[pos])  # whitening: uᵀΣu = ‖x‖² for u = L x (in ψ coordinates)
    if L.shape[1] == 0:
        return Kappa(math.inf, math.inf, math.inf, True, False, None, None, n_assign,
                     "undefined (reported as ∞): Φ vanishes on the support, Σ = 0")
    obs = [o for o in range(model.n_obs) if M[o] > 0]
    rows = [np.arange(model.obs_ptr[o], model.obs_ptr[o + 1]) for o in obs]
    # null directions of Σ that some next-state feature sees: the ratio is unbounded
    null = U[:, ~pos]
    if null.shape[1]:
        seen = max((float(np.abs(psi[r] @ null).max(initial=0.0)) for r in rows), default=0.0)
        if seen > 1e-9:
            return Kappa(math.inf, math.inf, math.inf, True, False, None, None, n_assign,
                         "κ = ∞: a direction u with uᵀΣu = 0 (never updated on the support) "
                         "has φ(ô',b)ᵀu ≠ 0 at a successor observation")
    psi_l = psi @ L  # one product for every pair, then one block per successor observation
    g = [psi_l[r] * math.sqrt(M[o]) for o, r in zip(obs, rows, strict=True)]  # √M φᵀL

    def lam_max(assign: tuple[int, ...]) -> tuple[float, np.ndarray]:
        B = (np.array([g[i][b] for i, b in enumerate(assign)]) if assign
             else np.zeros((0, L.shape[1])))
        return top_gram_eigenpair(B)  # λ_max(N_b) in whitened coordinates, N_b = BᵀB

    def ratio(x: np.ndarray) -> tuple[float, tuple[int, ...]]:
        vals = [(gi @ x) ** 2 for gi in g]
        assign = tuple(int(np.argmax(v)) for v in vals)
        return float(sum(float(v.max()) for v in vals) / float(x @ x)), assign

    # Σ_b N_b = GᵀG with G every √M φᵀL row stacked
    upper2, top_x = top_gram_eigenpair(np.vstack(g) if g else np.zeros((0, L.shape[1])))
    # local search for a lower bound (monotone: ratio(x_k) ≤ λ_max(N_b(x_k)) ≤ ratio(x_{k+1}))
    rng = np.random.default_rng(seed)
    starts = [top_x] + [rng.standard_normal(L.shape[1]) for _ in range(restarts)]
    best, best_x = 0.0, None
    for x in starts:
        if not np.any(x):
            continue
        r, assign = ratio(x)
        for _ in range(100):
            lm, x_new = lam_max(assign)
            r_new, assign_new = ratio(x_new)
            if r_new <= r * (1 + 1e-14):
                break
            r, assign, x = r_new, assign_new, x_new
        if r > best:
            best, best_x = r, x
    exact2 = None
    if n_assign <= max_assignments:
        exact2 = max((lam_max(a)[0] for a in itertools.product(*(range(len(gi)) for gi in g))),
                     default=0.0)
        best = max(best, exact2)
    witness = V @ (L @ best_x) if best_x is not None else None
    lower = math.sqrt(max(best, 0.0))
    if exact2 is not None:
        val = math.sqrt(max(exact2, 0.0))
        return Kappa(val, lower, val, True, _verdict(val, val), witness, None, n_assign,
                     f"exact: max of λ_max(N_b, Σ) over all {n_assign} assignments b(·)")
    upper = max(math.sqrt(max(upper2, 0.0)), lower)
    return Kappa(upper, lower, upper, False, _verdict(lower, upper), witness, None, n_assign,
                 f"{n_assign} assignments (> {max_assignments}): upper bound with max_b "
                 "replaced by Σ_b, lower bound by local search over assignments")


# ---------------------------------------------------------------------------------------------
# ε_approx, C_F and θ*
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Approximation:
    """ε_approx = ``max_{(ô,j)∈S} |φᵀθ̃ − Q̂*|`` for the exhibited ``theta``."""

    value: float
    theta: np.ndarray
    method: str


def epsilon_approx(phi: np.ndarray | None, q_hat: np.ndarray, sup: Support, *,
                   tabular: bool = False, lp_max: int = LP_MAX) -> Approximation:
    """ε_approx (docs/theory.md §5): ``‖Q_θ̃ − Q̂*‖∞`` over the pairs T̂ reads (``sup.read``: the
    support and every admissible pair at its successor observations), for the minimax
    (Chebyshev) fit by ``scipy.optimize.linprog`` when ``|read|·d ≤ lp_max``, else the
    μ-weighted least-squares projection of Q̂* on the support.

    The sup must cover the successors' pairs, not only the support: Lemma F
    (Approximation.v) uses ``‖T̂Q_θ̃ − T̂Q̂*‖∞ ≤ γ̄ ‖Q_θ̃ − Q̂*‖∞`` over every pair T̂ reads.
    They differ only when π_b gives an admissible successor probability 0. The value is
    recomputed from the returned θ̃, so it is the exact sup-norm error of an exhibited
    parameter whatever the solver's tolerance.
    """
    rd = sup.read
    if tabular:  # one-hot on the support: θ̃ = Q̂* there, Q_θ̃ = 0 off it
        theta = q_hat[sup.mask].copy()
        err = float(np.abs(q_hat[rd & ~sup.mask]).max(initial=0.0))
        return Approximation(err, theta, "one-hot features on the support: θ̃ = Q̂* on S "
                             "(exact there); Q_θ̃ = 0 on the read pairs off the support")
    ps, qs = phi[rd], q_hat[rd]
    if ps.shape[0] * ps.shape[1] <= lp_max:
        n, d = ps.shape
        c = np.zeros(d + 1)
        c[-1] = 1.0
        A = np.block([[ps, -np.ones((n, 1))], [-ps, -np.ones((n, 1))]])
        b = np.concatenate([qs, -qs])
        res = so.linprog(c, A_ub=A, b_ub=b, bounds=[(None, None)] * d + [(0, None)],
                         method="highs")
        if res.status != 0:  # pragma: no cover - the LP is always feasible and bounded
            raise RuntimeError(f"Chebyshev fit failed: {res.message}")
        theta = res.x[:d]
        how = "Chebyshev (minimax) fit over the read pairs by scipy.optimize.linprog (HiGHS)"
    else:
        sw = np.sqrt(sup.w[sup.mask])
        theta = np.linalg.lstsq(phi[sup.mask] * sw[:, None], q_hat[sup.mask] * sw,
                                rcond=None)[0]
        how = "μ-weighted least-squares projection of Q̂* (problem too large for the LP)"
    err = float(np.abs(ps @ theta - qs).max(initial=0.0))
    return Approximation(err, theta, how)


def approximation_constant(gamma_bar: float, kappa_value: float | None) -> Term:
    """``C_F = 1 + (1 + γ̄)/(1 − κ)`` of Lemma F (Approximation.v ``approximation_constant``).

    Defined only for κ < 1 (A6); otherwise the value is None with the reason.

    >>> approximation_constant(0.5, 0.5).value
    4.0
    """
    inputs = {"gamma_bar": gamma_bar, "kappa": kappa_value}
    if kappa_value is None or not kappa_value < 1:
        return Term("C_F", None, "undefined", "§5 (Lemma F)", inputs,
                    reason="C_F needs κ < 1 (A6)")
    value = S.evaluate(S.C_F_EXPR, gamma_bar=gamma_bar, kappa=kappa_value)
    return Term("C_F", value, "lambdify of the sympy C_F = 1 + (1+γ̄)/(1−κ)", "§5 (Lemma F)",
                inputs)


@dataclass(frozen=True, eq=False)
class FixedPoint:
    """The projected fixed point ``Q_θ* = Π T̂ Q_θ*`` on the support (docs/theory.md §5).

    Attributes
    ----------
    theta : (d,) θ* (minimum-norm representative)
    q : (n_obs_pairs,) ``Φθ*``
    norm_bound : a certified bound on ``‖θ*‖₂`` (the smallest admissible R_θ)
    residual : ``‖ΠT̂Q_θ − Q_θ‖_μ`` at the returned θ
    iterations : fixed-point iterations
    method : how it was computed
    """

    theta: np.ndarray
    q: np.ndarray
    norm_bound: float
    residual: float
    iterations: int
    method: str


def projected_fixed_point(model: EpochModel, ais: SMDP, phi: np.ndarray | None, sup: Support,
                          kappa_value: float | None, omega_value: float, *, tol: float = 1e-13,
                          max_iter: int = 100_000, tabular: bool = False) -> FixedPoint | None:
    """θ* by the fixed-point iteration ``θ ← Π T̂ Φθ`` from 0 (docs/theory.md §5).

    Under A6 ΠT̂ is a κ-contraction in ‖·‖_μ on span(Φ), so the iteration converges and
    ``‖Q_θk − Q_θ*‖_μ ≤ κ/(1−κ) ‖Q_θk − Q_θk−1‖_μ``; with A5, ``‖θ_k − θ*‖ ≤ that/√ω``, which
    gives the certified ``norm_bound``. Returns None when A5 or A6 fails (no uniqueness, no
    convergence guarantee).

    With ``tabular`` (one-hot on the support) ``Q_θ* = ΠT̂Q_θ*`` says ``Q = T̂Q`` on S and 0 off
    it: the optimal values of the AIS SMDP with the off-support pairs' reward and kernel set
    to 0, solved exactly; θ* is Q_θ* on S.
    """
    if kappa_value is None or not kappa_value < 1 or not omega_value > 0:
        return None
    if tabular:
        off = ~sup.mask
        reward = np.where(off, 0.0, ais.reward)
        K = sp.diags(np.where(off, 0.0, 1.0)) @ ais.K
        sol = exact_solve(SMDP(ais.ptr, ais.succ, reward, sp.csr_matrix(K)))
        q = np.where(off, 0.0, sol.q)
        theta = q[sup.mask]
        err = sol.error_bound * math.sqrt(len(theta))
        return FixedPoint(theta=theta, q=q, norm_bound=float(np.linalg.norm(theta)) + err,
                          residual=sol.residual, iterations=sol.iterations,
                          method="one-hot on the support: Q_θ* = optimal values of the AIS SMDP "
                          f"with off-support pairs pinned at 0 ({sol.method})")
    w = sup.w[sup.mask]
    ps = phi[sup.mask]
    sw = np.sqrt(w)
    pinv = np.linalg.pinv(ps * sw[:, None]) * sw[None, :]  # θ = pinv @ target_S
    r_s = ais.reward[sup.mask]
    K_s = ais.K[np.flatnonzero(sup.mask)]
    theta = np.zeros(phi.shape[1])
    q = phi @ theta
    step = math.inf
    it = 0
    while it < max_iter:
        it += 1
        target = r_s + K_s @ ais.vmax(q)
        theta_new = pinv @ target
        q_new = phi @ theta_new
        step = float(np.sqrt(w @ (q_new[sup.mask] - q[sup.mask]) ** 2))
        theta, q = theta_new, q_new
        if step <= tol * max(1.0, float(np.sqrt(w @ q[sup.mask] ** 2))):
            break
    k = kappa_value
    err_q = k / (1 - k) * step
    bound = float(np.linalg.norm(theta)) + err_q / math.sqrt(omega_value)
    return FixedPoint(theta=theta, q=q, norm_bound=bound, residual=step, iterations=it,
                      method=f"fixed-point iteration θ ← ΠT̂Φθ from 0, {it} iterations; "
                      f"‖θ*‖ ≤ ‖θ_k‖ + κ/(1−κ)·‖ΔQ‖_μ/√ω")
