"""Confidence intervals on the audit of a model fitted from traces: the episode bootstrap.

The fitted model (:mod:`icq.reference.learners.traces`) is a plug-in estimate; every audit quantity
is a function of it. The nonparametric bootstrap resamples whole episodes with replacement (episodes
are independent: each restarts from ν₀, docs/theory.md §4), refits the model from the resampled
counts with the same index sets, and recomputes the quantity θ*. The interval at level ``1 − a`` is
the basic (reverse-percentile) bootstrap interval ``[2θ̂ − q_{1−a/2}, 2θ̂ − q_{a/2}]``, with ``q``
the quantiles of the replicates (Davison & Hinkley 1997, §5.2): it corrects the first-order bias
that the plain percentile interval inherits. That matters here: κ² is a maximum of ratios
(docs/theory.md §5), biased upwards under resampling when several ratios tie, and on the bundled
``ring-exact`` example the percentile interval missed the true κ in 40 of 40 simulated data sets
while the basic interval covered it. Coverage is asymptotically ``1 − a`` for smooth functionals of
the counts; ``tests/test_traces_coverage.py`` measures it on simulated traces with known truth.

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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from icq.bounds.auditor import audit
from icq.bounds.budget import theorem_budgets
from icq.bounds.features import kappa, support
from icq.bounds.setting import prepare
from icq.reference.common.io import plain
from icq.reference.common.parallel import map_tasks
from icq.reference.learners.traces import TraceData, trace_data_from_lines
from icq.reference.model import EpochModel

__all__ = ["QUANTITIES", "BootstrapResult", "Coverage", "Interval", "basic_interval",
           "bootstrap", "bootstrap_from_lines", "coverage", "measure"]

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
            b = theorem_budgets(a, target, error="total", norm="mu")[1]  # the Theorem 1 row
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
    unstable : see the module docstring, with ``why``.
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

    def to_json(self) -> dict[str, Any]:
        """Plain values; ``icq audit --json`` writes them by the project's one JSON convention
        (undefined, NaN, as null; ±∞ as ±1e999)."""
        return plain({"estimate": self.estimate, "lower": self.lower, "upper": self.upper,
                      "se": self.se, "level": self.level, "defined": self.defined,
                      "unstable": self.unstable, "why": self.why})


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Intervals for every requested quantity, from ``replicates`` episode resamples."""

    intervals: dict[str, Interval]
    replicates: int
    episodes: int
    lines: int
    level: float
    seed: int
    method: str = ("nonparametric bootstrap over whole episodes (multinomial resample), basic "
                   "(reverse-percentile) intervals; the model refitted with fixed index sets")

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


def _interval(name: str, est: Any, samples: np.ndarray, level: float) -> Interval:
    ok = ~np.isnan(samples) if samples.ndim == 1 else ~np.isnan(samples).any(axis=1)
    defined = float(ok.mean()) if len(ok) else 0.0
    if not ok.any():
        nan = np.full_like(np.asarray(est, dtype=float), np.nan)
        return Interval(name, est, nan if nan.ndim else math.nan, nan if nan.ndim else math.nan,
                        nan if nan.ndim else math.nan, level, 0.0, False,
                        "undefined in every replicate")
    lo, hi = basic_interval(est, samples[ok], level)
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
    return Interval(name, est, lo, hi, se, level, defined, bool(why), "; ".join(why))


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


def _replicates(task: tuple[TraceData, tuple[str, ...], float, int, list[int]]
                ) -> list[dict[str, Any]]:
    data, names, target, seed, idx = task
    E = data.episodes
    out = []
    for b in idx:
        rng = np.random.default_rng([seed, b])
        w = rng.multinomial(E, np.full(E, 1.0 / E)).astype(float)
        model, _ = data.model(w)
        out.append(measure(model, names, target=target))
    return out


def bootstrap(data: TraceData, *, replicates: int, quantities: Sequence[str] = QUANTITIES,
              level: float = LEVEL, target: float = TARGET, seed: int = 0,
              backend: str = "local", workers: int | None = None) -> BootstrapResult:
    """Episode-bootstrap intervals for ``quantities`` (see the module docstring).

    Replicate ``b`` draws its episode weights from ``numpy.random.default_rng([seed, b])``, so
    the result does not depend on the backend or the number of workers; the replicates run in
    parallel with :func:`icq.reference.common.parallel.map_tasks`.
    """
    unknown = [q for q in quantities if q not in QUANTITIES and q != "q_hat"]
    if unknown:
        raise ValueError(f"quantities: unknown {unknown}; choose from {QUANTITIES + ('q_hat',)}")
    if not isinstance(replicates, int) or replicates < 2:
        raise ValueError(f"bootstrap: {replicates!r} replicates; need an integer >= 2")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: {level!r} is not in (0, 1)")
    names = tuple(quantities)
    est = measure(data.fit.model, names, target=target)
    n_chunks = max(1, min(replicates, (workers or 1) * 4 if backend != "serial" else 1))
    chunks = [c.tolist() for c in np.array_split(np.arange(replicates), n_chunks)]
    tasks = [(data, names, float(target), int(seed), c) for c in chunks]
    reps = [r for part in map_tasks(_replicates, tasks, backend=backend, workers=workers)
            for r in part]
    intervals = {n: _interval(n, est[n], np.array([r[n] for r in reps], dtype=float), level)
                 for n in names}
    if "kappa" in intervals:
        intervals["kappa"] = _kappa_switch(intervals["kappa"], est["kappa_pair"], reps)
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
    the observation pairs, out of ``trials[name]``)
    """

    hits: dict[str, int]
    trials: dict[str, int]
    level: float
    method: str = "simulate from the true model, fit, bootstrap, compare with the truth"

    def rate(self, name: str) -> float:
        return self.hits[name] / self.trials[name]


def _coverage_one(task: tuple[EpochModel, int, int, int, tuple[str, ...], float, dict]
                  ) -> dict[str, tuple[int, int]]:
    from icq.reference.learners.traces import simulate_traces

    truth, episodes, seed, replicates, names, level, true_vals = task
    data = trace_data_from_lines(simulate_traces(truth, episodes, seed=seed), truth.gamma)
    res = bootstrap(data, replicates=replicates, quantities=names, level=level, seed=seed,
                    backend="serial")
    tn = truth.obs_pair_index
    idx = np.array([tn[k] for k in data.fit.model.obs_pair_index])
    out = {}
    for n in names:
        iv, tv = res.intervals[n], np.asarray(true_vals[n], dtype=float)
        if n == "q_hat":
            tv = tv[idx]
        tol = 1e-9 * (1.0 + np.abs(tv))
        hit = (iv.lower - tol <= tv) & (tv <= iv.upper + tol)
        out[n] = (int(np.sum(hit)), int(np.size(hit)))
    return out


def coverage(truth: EpochModel, *, episodes: int, datasets: int, replicates: int,
             quantities: Sequence[str] = ("kappa", "q_hat"), level: float = LEVEL,
             seed: int = 0, backend: str = "local", workers: int | None = None) -> Coverage:
    """Coverage of the bootstrap intervals on ``datasets`` trace sets simulated from ``truth``
    (``episodes`` episodes each, under its π_b), in parallel over data sets."""
    names = tuple(quantities)
    true_vals = measure(truth, names)
    tasks = [(truth, episodes, seed + d, replicates, names, level, true_vals)
             for d in range(datasets)]
    parts = map_tasks(_coverage_one, tasks, backend=backend, workers=workers)
    return Coverage(hits={n: sum(p[n][0] for p in parts) for n in names},
                    trials={n: sum(p[n][1] for p in parts) for n in names}, level=level)
