"""Confidence intervals on the audit of a model fitted from traces: the episode bootstrap.

The fitted model (:mod:`icq.reference.learners.traces`) is a plug-in estimate; every audit quantity
is a function of it. The nonparametric bootstrap resamples whole episodes with replacement (episodes
are independent: each restarts from ν₀, docs/theory.md §4), refits the model from the resampled
counts with the same index sets, and recomputes the quantity θ*.

**Interval methods** (:data:`METHODS`, ``a = 1 − level``, ``q`` the replicates' quantiles):
``percentile`` ``[q_{a/2}, q_{1−a/2}]``; ``basic`` (reverse percentile, Davison & Hinkley 1997,
§5.2) ``[2θ̂ − q_{1−a/2}, 2θ̂ − q_{a/2}]``, which corrects a first-order bias; ``m-out-of-n``
the basic interval from replicates of ``m = ⌈n^{2/3}⌉`` of the ``n`` episodes with the
deviations scaled by ``√(m/n)`` (Bickel, Götze & van Zwet 1997), consistent for some
non-smooth functionals where the n-out-of-n bootstrap is not. Several quantities are not smooth
functions of the counts: Δ_exact and κ are maxima, the exact policy loss passes through an
argmax, t_mix is an integer and the budget a minimum over burn-in times. No method is
guaranteed for them, so each quantity uses the method whose coverage was *measured* best
(:data:`CHOSEN`, produced by ``benchmarks/bench_coverage.py`` and tabled in docs/traces.md);
a quantity whose measured coverage is below the nominal level is reported **indicative**, with
that coverage. Every interval is widened to contain the estimate (a basic interval can exclude
it), clipped to the quantity's range (:data:`RANGE`) and, for integer quantities, rounded
outwards.

Quantities (``QUANTITIES``): κ of A6 with one-hot features (§5), t_mix = τ_mix(1/4) (§4), the
four Δ terms of §3, the exact policy loss and its tightest bound (Lemma P), and the Theorem 1
budget at a target (§6, the Theorem 1 row of :func:`icq.bounds.budget.theorem_budgets` for
the total error in ‖·‖_μ). ``q_hat`` gives per-pair intervals
on Q̂*_μ (§2).

A quantity is reported **unstable** at the data size given when (i) it is undefined in some
replicates but not all (e.g. the behaviour chain is not ergodic, or a budget is blocked), or
(ii) its interval contains a threshold the audit acts on (κ = 1, the A6 verdict), or (iii) the
interval is wider than the estimate's magnitude (``upper − lower > |estimate|``), i.e. not
even its order of magnitude is settled, or (iv) for κ, the pair attaining the maximum of §5
changes in more than 10% of the replicates: a maximum near a tie is not differentiable and no
bootstrap interval is consistent there (under uniform behaviour the tie is exact).

>>> from icq.reference.model import load, example_path
>>> from icq.reference.learners.traces import simulate_traces
>>> truth = load(example_path("ring-exact"))
>>> r = bootstrap_from_lines(simulate_traces(truth, 100, seed=0), truth.gamma, replicates=20,
...                          quantities=("kappa",), backend="serial")
>>> iv = r.intervals["kappa"]
>>> bool(iv.lower <= iv.estimate <= iv.upper), r.replicates
(True, 20)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from icq.bounds.auditor import audit
from icq.bounds.budget import icq_limit, theorem_budgets
from icq.bounds.features import kappa, support
from icq.bounds.setting import prepare
from icq.reference.common.io import plain
from icq.reference.common.parallel import map_tasks
from icq.reference.learners.traces import TraceData, simulate_traces, trace_data_from_lines
from icq.reference.model import EpochModel

__all__ = ["CHOSEN", "METHODS", "QUANTITIES", "RANGE", "BootstrapResult", "Coverage",
           "Interval", "basic_interval", "bootstrap", "bootstrap_from_lines", "coverage",
           "interval_bounds", "measure", "m_out_of_n", "replicate_weights"]

#: the audit quantities the bootstrap reports, in order
QUANTITIES = ("kappa", "t_mix", "ais_gap", "ais_gap_value_aware", "ais_gap_statewise",
              "ais_gap_exact", "policy_loss_exact", "policy_loss_bound", "budget")
#: default nominal coverage of the intervals
LEVEL = 0.9
#: κ is flagged when its maximising pair changes in more than this share of replicates
SWITCH = 0.1
#: default target error for the budget quantity (‖·‖_μ, docs/theory.md §6)
TARGET = 0.1

_AUDIT = frozenset(QUANTITIES) - {"kappa"}

#: interval methods (module docstring)
METHODS = ("percentile", "basic", "m-out-of-n")
_INF = math.inf
#: the range of each quantity (intervals are clipped to it) and whether it is an integer
RANGE: dict[str, tuple[float, float, bool]] = {
    "kappa": (0.0, _INF, False), "t_mix": (0.0, _INF, True), "ais_gap": (0.0, _INF, False),
    "ais_gap_value_aware": (0.0, _INF, False), "ais_gap_statewise": (0.0, _INF, False),
    "ais_gap_exact": (0.0, _INF, False), "policy_loss_exact": (0.0, _INF, False),
    "policy_loss_bound": (0.0, _INF, False), "budget": (1.0, _INF, True),
    "q_hat": (-_INF, _INF, False),
}
#: per quantity: the interval method and its measured coverage (hits, data sets) at the nominal
#: 90% on author-reviewer-editor with π_b = (0.7, 0.3), 150 episodes per data set
#: (``python benchmarks/bench_coverage.py --datasets 60 --replicates 50``; the table is in
#: docs/traces.md). None: not measured (the budget is undefined at that data size); such a
#: quantity, and every quantity at a level other than :data:`LEVEL`, is reported indicative.
CHOSEN: dict[str, tuple[str, tuple[int, int] | None]] = {
    "kappa": ("m-out-of-n", (56, 60)),
    "t_mix": ("percentile", (60, 60)),
    "ais_gap": ("percentile", (50, 60)),
    "ais_gap_value_aware": ("percentile", (49, 60)),
    "ais_gap_statewise": ("percentile", (49, 60)),
    "ais_gap_exact": ("percentile", (49, 60)),
    "policy_loss_exact": ("percentile", (46, 60)),
    "policy_loss_bound": ("percentile", (49, 60)),
    "budget": ("percentile", None),
    "q_hat": ("basic", (425, 480)),
}


def m_out_of_n(n: int) -> int:
    """``m = ⌈n^{2/3}⌉`` episodes per m-out-of-n replicate (at least 2, at most n).

    >>> m_out_of_n(150)
    29
    """
    return int(min(n, max(2, math.ceil(n ** (2.0 / 3.0)))))


def measure(model: EpochModel, names: Sequence[str], *, target: float = TARGET
            ) -> dict[str, Any]:
    """The named quantities of ``model`` (NaN where undefined; ``q_hat`` an array).

    Each is what ``icq audit`` prints: κ is ``features.kappa`` (tabular closed form), t_mix is
    ``tau_mix``, the gaps ``ais_gap*``, ``policy_loss_*``, and ``budget`` the handoffs of
    :func:`icq.bounds.budget.theorem_budgets` (Theorem 1, total error, ‖·‖_μ) at ``target``.
    """
    s = prepare(model)
    out: dict[str, Any] = {}
    if "q_hat" in names:
        out["q_hat"] = np.asarray(s.hat.q, dtype=float)
    if _AUDIT & set(names):
        a = audit(model, setting=s)
        k = a.features.kappa
        vals = {
            "kappa": math.nan if k is None else k.kappa,
            "kappa_pair": math.nan if k is None else float(k.witness_pair),
            "t_mix": math.nan if a.t_mix.tau is None else float(a.t_mix.tau),
            "ais_gap": a.gap_paper.value, "ais_gap_value_aware": a.gap_value_aware.value,
            "ais_gap_statewise": a.gap_statewise.value, "ais_gap_exact": a.gap_exact.value,
            "policy_loss_exact": a.loss_exact.value,
            "policy_loss_bound": a.policy_loss_bound.value,
        }
        if "budget" in names:
            b = theorem_budgets(a, target, error="total", norm="mu",  # the Theorem 1 row
                                limit=icq_limit(model, "mu", q_hat=s.hat.q))[1]
            vals["budget"] = math.nan if b.handoffs is None else float(b.handoffs)
        out.update({n: float(vals[n]) for n in (*names, "kappa_pair") if n in vals})
    elif "kappa" in names:
        if s.mu is None:
            out["kappa"] = out["kappa_pair"] = math.nan
        else:
            sup = support(model, s.mu)
            k = kappa(model, None, sup, s.mu, tabular=True)  # the closed form reads no Φ
            out["kappa"], out["kappa_pair"] = k.kappa, float(k.witness_pair)
    return out


@dataclass(frozen=True)
class Interval:
    """A basic bootstrap interval (arrays for ``q_hat``, one entry per observation pair).

    estimate : the value on the full-data fit; lower, upper : the interval at ``level``;
    se : bootstrap standard error; defined : fraction of replicates where it is defined;
    unstable : see the module docstring, with ``why``; method : one of :data:`METHODS`;
    coverage : the measured coverage of ``method`` for this quantity (``"hits/trials at 90%"``)
    or ``"not measured"``; indicative : the coverage is below ``level`` or was not measured.
    """

    name: str
    estimate: Any
    lower: Any
    upper: Any
    se: Any
    level: float
    defined: float
    unstable: bool
    why: str
    method: str = "basic"
    coverage: str = "not measured"
    indicative: bool = True

    def to_json(self) -> dict[str, Any]:
        """Plain values; ``icq audit --json`` writes them by the project's one JSON convention
        (undefined, NaN, as null; ±∞ as ±1e999)."""
        return plain({"estimate": self.estimate, "lower": self.lower, "upper": self.upper,
                      "se": self.se, "level": self.level, "defined": self.defined,
                      "unstable": self.unstable, "why": self.why, "method": self.method,
                      "coverage": self.coverage, "indicative": self.indicative})


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Intervals for every requested quantity, from ``replicates`` episode resamples."""

    intervals: dict[str, Interval]
    replicates: int
    episodes: int
    lines: int
    level: float
    seed: int
    method: str = ("nonparametric bootstrap over whole episodes (multinomial resample), the "
                   "interval method per quantity as measured (bounds.bootstrap.CHOSEN); the "
                   "model refitted with fixed index sets")

    @property
    def unstable(self) -> list[str]:
        return [n for n, iv in self.intervals.items() if iv.unstable]

    def to_json(self) -> dict[str, Any]:
        return {"replicates": self.replicates, "episodes": self.episodes, "lines": self.lines,
                "level": self.level, "seed": self.seed, "unstable": self.unstable,
                "intervals": {n: iv.to_json() for n, iv in self.intervals.items()},
                "method": self.method}


def basic_interval(estimate: Any, samples: np.ndarray, level: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``[2θ̂ − q_{1−a/2}, 2θ̂ − q_{a/2}]`` of ``samples`` along axis 0, ``a = 1 − level``.

    >>> lo, hi = basic_interval(50.0, np.arange(101.0) + 10.0, 0.9)
    >>> round(float(lo), 9), round(float(hi), 9)
    (-5.0, 85.0)
    """
    a = 1.0 - level
    est = np.asarray(estimate, dtype=float)
    return (2 * est - np.quantile(samples, 1 - a / 2, axis=0),
            2 * est - np.quantile(samples, a / 2, axis=0))


def interval_bounds(method: str, estimate: Any, samples: np.ndarray, level: float,
                    ratio: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The raw interval of ``method`` (module docstring) from ``samples`` along axis 0;
    ``ratio = m/n`` for ``m-out-of-n`` (samples from m-episode resamples).

    >>> lo, hi = interval_bounds("percentile", 50.0, np.arange(101.0) + 10.0, 0.9)
    >>> round(float(lo), 9), round(float(hi), 9)
    (15.0, 105.0)
    >>> lo, hi = interval_bounds("m-out-of-n", 50.0, np.arange(101.0) + 10.0, 0.9, 0.25)
    >>> round(float(lo), 9), round(float(hi), 9)
    (22.5, 67.5)
    """
    a = 1.0 - level
    est = np.asarray(estimate, dtype=float)
    q_lo, q_hi = np.quantile(samples, a / 2, axis=0), np.quantile(samples, 1 - a / 2, axis=0)
    if method == "percentile":
        return q_lo, q_hi
    if method == "basic":
        return 2 * est - q_hi, 2 * est - q_lo
    if method == "m-out-of-n":
        r = math.sqrt(ratio)
        return est - r * (q_hi - est), est - r * (q_lo - est)
    raise ValueError(f"method: {method!r} is not one of {METHODS}")


def _shape(name: str, est: Any, lo: Any, hi: Any) -> tuple[Any, Any]:
    """Widen to contain the estimate, clip to the range, round integers outwards."""
    e = np.asarray(est, dtype=float)
    lo, hi = np.minimum(lo, e), np.maximum(hi, e)
    a, b, integer = RANGE.get(name, (-_INF, _INF, False))
    lo, hi = np.clip(lo, a, b), np.clip(hi, a, b)
    if integer:
        lo, hi = np.floor(lo + 1e-9), np.ceil(hi - 1e-9)
    return lo, hi


def _interval(name: str, est: Any, samples: np.ndarray, level: float,
              method: str = "basic", ratio: float = 1.0) -> Interval:
    ok = ~np.isnan(samples) if samples.ndim == 1 else ~np.isnan(samples).any(axis=1)
    defined = float(ok.mean()) if len(ok) else 0.0
    measured = CHOSEN.get(name, (method, None))
    cov = measured[1] if measured[0] == method and level == LEVEL else None
    cov_s = (f"{cov[0]}/{cov[1]} at {100 * LEVEL:g}%" if cov else "not measured")
    indicative = cov is None or cov[0] < level * cov[1]
    if not ok.any():
        nan = np.full_like(np.asarray(est, dtype=float), np.nan)
        return Interval(name, est, nan if nan.ndim else math.nan, nan if nan.ndim else math.nan,
                        nan if nan.ndim else math.nan, level, 0.0, False,
                        "undefined in every replicate", method, cov_s, indicative)
    lo, hi = interval_bounds(method, est, samples[ok], level, ratio)
    if not np.all(np.isnan(np.asarray(est, dtype=float))):
        lo, hi = _shape(name, est, lo, hi)
    se = np.std(samples[ok], axis=0, ddof=1) if ok.sum() > 1 else np.zeros_like(lo)
    why = []
    if defined < 1.0:
        why.append(f"undefined in {100 * (1 - defined):.0f}% of replicates")
    if name == "kappa" and lo < 1.0 <= hi:
        why.append("the A6 verdict (κ < 1) differs across replicates")
    width = np.asarray(hi - lo, dtype=float)
    mag = np.abs(np.asarray(est, dtype=float))
    wide = (width > mag) & (width > 1e-12)
    if np.any(wide):
        why.append("interval wider than the estimate's magnitude"
                   + (f" on {int(wide.sum())} pairs" if wide.ndim else ""))
    if samples.ndim == 1:
        lo, hi, se = float(lo), float(hi), float(se)
    return Interval(name, est, lo, hi, se, level, defined, bool(why), "; ".join(why), method,
                    cov_s, indicative)


def _kappa_switch(iv: Interval, pair: float, reps: list[dict[str, Any]]) -> Interval:
    """Flag κ as unstable when the pair attaining its maximum (docs/theory.md §5) differs from
    the full-data one in more than :data:`SWITCH` of the replicates: κ is then a maximum near a
    tie, which is not differentiable, and no bootstrap interval is consistent there."""
    other = float(np.mean([r["kappa_pair"] != pair for r in reps]))
    if other <= SWITCH:
        return iv
    why = "; ".join(w for w in (iv.why, f"the pair attaining κ changes in {100 * other:.0f}% of "
                                "replicates (a maximum near a tie: coverage may differ from "
                                "the nominal level)") if w)
    return replace(iv, unstable=True, why=why)


def replicate_weights(episodes: int, seed: int, b: int, m: int | None = None) -> np.ndarray:
    """The episode weights of bootstrap replicate ``b``: ``w ~ Multinomial(m, 1/E)`` over the
    ``E = episodes`` logged episodes, drawn from ``numpy.random.default_rng([seed, b])`` for the
    ordinary bootstrap (``m = E``, the default) and from ``default_rng([seed, b, m])`` for
    m-out-of-n. Every bootstrap of the project (intervals, budgets) resamples through this."""
    m = episodes if m is None else int(m)
    rng = np.random.default_rng([seed, b] if m == episodes else [seed, b, m])
    return rng.multinomial(m, np.full(episodes, 1.0 / episodes)).astype(float)


def _replicates(task: tuple[TraceData, tuple[str, ...], float, int, list[int], int]
                ) -> list[dict[str, Any]]:
    data, names, target, seed, idx, m = task
    out = []
    for b in idx:
        model, _ = data.model(replicate_weights(data.episodes, seed, b, m))
        out.append(measure(model, names, target=target))
    return out


def _resample(data: TraceData, names: tuple[str, ...], target: float, seed: int,
              replicates: int, m: int, backend: str, workers: int | None
              ) -> list[dict[str, Any]]:
    n_chunks = max(1, min(replicates, (workers or 1) * 4 if backend != "serial" else 1))
    chunks = [c.tolist() for c in np.array_split(np.arange(replicates), n_chunks)]
    tasks = [(data, names, float(target), int(seed), c, int(m)) for c in chunks]
    return [r for part in map_tasks(_replicates, tasks, backend=backend, workers=workers)
            for r in part]


def bootstrap(data: TraceData, *, replicates: int, quantities: Sequence[str] = QUANTITIES,
              level: float = LEVEL, target: float = TARGET, seed: int = 0,
              backend: str = "local", workers: int | None = None,
              methods: str | dict[str, str] | None = None) -> BootstrapResult:
    """Episode-bootstrap intervals for ``quantities`` (see the module docstring).

    Replicate ``b`` draws its episode weights from ``numpy.random.default_rng([seed, b])``
    (``[seed, b, m]`` for m-out-of-n), so the result does not depend on the backend or the
    number of workers; the replicates run in parallel with
    :func:`icq.reference.common.parallel.map_tasks`. ``methods``: one of :data:`METHODS` for
    every quantity, or a dict by quantity; default the measured choice :data:`CHOSEN`.
    """
    unknown = [q for q in quantities if q not in QUANTITIES and q != "q_hat"]
    if unknown:
        raise ValueError(f"quantities: unknown {unknown}; choose from {QUANTITIES + ('q_hat',)}")
    if not isinstance(replicates, int) or replicates < 2:
        raise ValueError(f"bootstrap: {replicates!r} replicates; need an integer >= 2")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: {level!r} is not in (0, 1)")
    names = tuple(quantities)
    if methods is None:
        how = {n: CHOSEN[n][0] for n in names}
    elif isinstance(methods, str):
        how = dict.fromkeys(names, methods)
    else:
        how = {n: methods.get(n, CHOSEN[n][0]) for n in names}
    bad = sorted({h for h in how.values() if h not in METHODS})
    if bad:
        raise ValueError(f"methods: {bad} not among {METHODS}")
    est = measure(data.fit.model, names, target=target)
    E = data.episodes
    m = m_out_of_n(E)
    reps: dict[str, list[dict[str, Any]]] = {}
    for key, size in (("n", E), ("m", m)):
        use = tuple(n for n in names if (how[n] == "m-out-of-n") == (key == "m"))
        if use:
            reps[key] = _resample(data, use, target, seed, replicates, size, backend, workers)
    intervals = {}
    for n in names:
        key = "m" if how[n] == "m-out-of-n" else "n"
        intervals[n] = _interval(n, est[n], np.array([r[n] for r in reps[key]], dtype=float),
                                 level, how[n], m / E if key == "m" else 1.0)
    if "kappa" in intervals:
        key = "m" if how["kappa"] == "m-out-of-n" else "n"
        intervals["kappa"] = _kappa_switch(intervals["kappa"], est["kappa_pair"], reps[key])
    return BootstrapResult(intervals=intervals, replicates=replicates, episodes=data.episodes,
                           lines=data.fit.lines, level=level, seed=seed)


def bootstrap_from_lines(lines: Iterable[dict[str, Any]], gamma: float, **kw: Any
                         ) -> BootstrapResult:
    """:func:`bootstrap` on decoded lines (e.g.
    :func:`icq.reference.learners.traces.simulate_traces`)."""
    return bootstrap(trace_data_from_lines(lines, gamma), **kw)


@dataclass(frozen=True)
class Coverage:
    """How often the intervals of ``datasets`` simulated data sets covered the truth.

    hits : quantity → data sets whose interval held the true value (for ``q_hat``: summed over
    the observation pairs, out of ``trials[name]``); width : the mean interval width
    """

    hits: dict[str, int]
    trials: dict[str, int]
    level: float
    method: str = "simulate from the true model, fit, bootstrap, compare with the truth"
    width: dict[str, float] = field(default_factory=dict)

    def rate(self, name: str) -> float:
        return self.hits[name] / self.trials[name]


def _coverage_one(task: tuple[EpochModel, int, int, int, tuple[str, ...], float, dict,
                              str | None]) -> dict[str, tuple[int, int]]:
    truth, episodes, seed, replicates, names, level, true_vals, method = task
    data = trace_data_from_lines(simulate_traces(truth, episodes, seed=seed), truth.gamma)
    res = bootstrap(data, replicates=replicates, quantities=names, level=level, seed=seed,
                    backend="serial", methods=method)
    tn = truth.obs_pair_index
    idx = np.array([tn[k] for k in data.fit.model.obs_pair_index])
    out = {}
    for n in names:
        iv, tv = res.intervals[n], np.asarray(true_vals[n], dtype=float)
        if n == "q_hat":
            tv = tv[idx]
        tol = 1e-9 * (1.0 + np.abs(tv))
        hit = (iv.lower - tol <= tv) & (tv <= iv.upper + tol)
        width = np.asarray(iv.upper, dtype=float) - np.asarray(iv.lower, dtype=float)
        out[n] = (int(np.sum(hit)), int(np.size(hit)), float(np.nansum(width)))
    return out


def coverage(truth: EpochModel, *, episodes: int, datasets: int, replicates: int,
             quantities: Sequence[str] = ("kappa", "q_hat"), level: float = LEVEL,
             seed: int = 0, backend: str = "local", workers: int | None = None,
             method: str | None = None) -> Coverage:
    """Coverage of the bootstrap intervals on ``datasets`` trace sets simulated from ``truth``
    (``episodes`` episodes each, under its π_b), in parallel over data sets; ``method`` one of
    :data:`METHODS` for every quantity (default: :data:`CHOSEN`). A data set where the
    quantity is undefined (NaN interval) counts as a miss."""
    names = tuple(quantities)
    true_vals = measure(truth, names)
    tasks = [(truth, episodes, seed + d, replicates, names, level, true_vals, method)
             for d in range(datasets)]
    parts = map_tasks(_coverage_one, tasks, backend=backend, workers=workers)
    trials = {n: sum(p[n][1] for p in parts) for n in names}
    return Coverage(hits={n: sum(p[n][0] for p in parts) for n in names}, trials=trials,
                    level=level,
                    width={n: sum(p[n][2] for p in parts) / max(1, trials[n]) for n in names})
