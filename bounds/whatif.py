"""The A6 witness and a what-if search that reports only what it evaluated (docs/theory.md §5).

**Witness.** A6 asks ``κ < 1``. With one-hot features ``κ² = max_{(ô',b)∈S} M(ô')/w(ô',b)``,
``M(ô') = E_{μ⊗π_b}[γ^{2τ} 1{σ(Y') = ô'}]`` and ``w(ô',b) = μ(ô')π_b(b|ô')``: the pairs whose
ratio is ≥ 1 are the witness, each with the numbers that make it (M, μ(ô'), π_b(b|ô')) and
the (observation, successor) pairs whose discounted flow into ô' makes up M. For other
features the local-search direction u of :func:`icq.bounds.features.kappa` is the witness; the
named pairs are the successor observations ô' (with the maximising b) that contribute most to
``Σ_ô' M(ô') max_b (φ(ô',b)ᵀu)²`` against ``uᵀΣu``.

**What-if.** :func:`what_if` evaluates, exactly, each configuration in a declared family:
the behaviour policy minimising κ (``scipy.optimize.minimize``, Powell, over a softmax
parametrisation of the simplex of each observation, from several starts), and each knob the
user declares (γ, the restart law ν₀, one admissible successor removed), each at the file's
behaviour and at its own optimised behaviour. For each it reports κ, Δ_exact of that
configuration (§3) and the cost: the exact loss, in the *original* model from ν₀ and in the
worst state, of the decentralized greedy policy that configuration's Q̂* gives. The best is
the A6-holding configuration with the smallest loss from ν₀, else the smallest κ with the
statement that nothing in the family searched gets κ below 1.

>>> from icq.reference.model import load, example_path
>>> w = what_if(load(example_path("ring-exact")), gammas=(0.3,), starts=1, maxfev=200)
>>> w.baseline.a6_holds, w.found, w.best.knob, w.best.kappa < 1
(False, True, 'γ = 0.3', True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.optimize as so

from icq.bounds.ais import ais_gap_exact
from icq.bounds.features import Kappa, kappa, next_obs_weights, support
from icq.bounds.setting import Setting, prepare
from icq.bounds.validate import InputError
from icq.reference.common.tables import fields_html, frame, html_table
from icq.reference.exact.chain import pair_weights, stationary
from icq.reference.exact.solve import deterministic_policy, evaluate
from icq.reference.model import EpochModel, from_dict, replace_arrays

__all__ = ["Scenario", "WhatIf", "Witness", "WitnessPair", "a6_witness", "kappa_of_behaviour",
           "minimise_kappa", "remove_successor", "what_if"]

#: witness pairs listed at most
WITNESS_MAX = 5
#: sources of M(ô') listed per witness pair
SOURCES_MAX = 3


@dataclass(frozen=True)
class WitnessPair:
    """One (observation, successor) pair of the A6 witness.

    Attributes
    ----------
    agent, observation, successor : the pair (ô', b), by name
    ratio : its share of κ²: ``M(ô')/w(ô',b)`` for one-hot features, else
        ``M(ô')(φ(ô',b)ᵀu)²/uᵀΣu`` for the witness direction u
    M : ``M(ô') = E[γ^{2τ} 1{σ(Y') = ô'}]``
    mu_obs : μ(ô')
    behaviour : π_b(b|ô')
    sources : ``(agent, observation, successor, share)``: the pairs (ô, j) whose discounted
        flow ``Σ μ(y)π_b(j|ô)E[γ^{2τ}1{σ(Y')=ô'}|y,j]`` makes up M, largest first
    """

    agent: str
    observation: str
    successor: str
    ratio: float
    M: float  # noqa: N815
    mu_obs: float
    behaviour: float
    sources: tuple[tuple[str, str, str, float], ...]

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "observation": self.observation,
                "successor": self.successor, "ratio": self.ratio, "M": self.M,
                "mu_obs": self.mu_obs, "behaviour": self.behaviour,
                "sources": [{"agent": a, "observation": o, "successor": j, "share": s}
                            for a, o, j, s in self.sources]}


@dataclass(frozen=True)
class Witness:
    """The pairs that make κ ≥ 1 (or, when A6 holds, the binding pair), with their numbers.

    ``ratios`` holds every support pair's ratio (the figure plots them), keyed by
    ``(agent, observation, successor)``.
    """

    kappa: float
    a6_holds: bool | None
    pairs: tuple[WitnessPair, ...]
    ratios: tuple[tuple[tuple[str, str, str], float], ...]
    method: str

    def to_json(self) -> dict[str, Any]:
        return {"kappa": self.kappa, "a6_holds": self.a6_holds,
                "pairs": [p.to_json() for p in self.pairs], "method": self.method}

    def frame(self) -> Any:
        """Every support pair's ratio, rows named (agent, observation, successor), largest
        first (a pandas DataFrame when pandas is installed)."""
        recs = [{"agent": a, "observation": o, "successor": j, "ratio": r}
                for (a, o, j), r in sorted(self.ratios, key=lambda x: -x[1])]
        return frame(recs, ["agent", "observation", "successor"])

    def lines(self) -> list[str]:
        """The witness in words, one line per pair."""
        if not self.pairs:
            return [f"κ = {self.kappa:.6g}: no support pair to name ({self.method})"]
        head = ("A6 fails: these pairs make κ² ≥ 1" if self.a6_holds is False
                else "the pair that sets κ")
        out = [f"{head} (κ = {self.kappa:.6g}; {self.method}):"]
        for p in self.pairs:
            src = ", ".join(f"{a}/{o}→{j} {s:.0%}" for a, o, j, s in p.sources)
            out.append(f"  {p.agent}/{p.observation} → {p.successor}: ratio {p.ratio:.4g} = "
                       f"M {p.M:.4g} / (μ(ô') {p.mu_obs:.4g} · π_b {p.behaviour:.4g}); "
                       f"M comes from {src}")
        return out


def _sources(model: EpochModel, mu: np.ndarray, behavior: np.ndarray, o: int
             ) -> tuple[tuple[str, str, str, float], ...]:
    """Shares of ``M(ô)`` by the observation pair (ô_prev, j) it flows from."""
    wp = pair_weights(model, mu, behavior)
    into = np.asarray(model.K2 @ model.obs_states[:, [o]].toarray()).ravel() * wp
    by_pair = np.bincount(model.pair_obs_pair, into, minlength=model.n_obs_pairs)
    tot = float(by_pair.sum())
    if tot <= 0:
        return ()
    order = np.argsort(-by_pair)[:SOURCES_MAX]
    return tuple((*model.obs_name(int(model.obs_pair_obs[k])),
                  model.successor_name(int(model.obs_succ[k])), float(by_pair[k] / tot))
                 for k in order if by_pair[k] > 0)


def a6_witness(model: EpochModel, mu: np.ndarray, k: Kappa, *, phi: np.ndarray | None = None,
               behavior: np.ndarray | None = None) -> Witness:
    """The A6 witness for ``k`` (see the module docstring); ``phi`` None means one-hot."""
    beh = model.behavior if behavior is None else np.asarray(behavior, dtype=float)
    sup = support(model, mu, beh)
    M = next_obs_weights(model, mu, beh)
    mu_obs = np.bincount(model.state_obs, mu, minlength=model.n_obs)
    idx = np.flatnonzero(sup.mask)
    if phi is None:
        ratio = M[model.obs_pair_obs[idx]] / sup.w[idx]
        method = "one-hot closed form: ratio = M(ô')/w(ô',b) over the support; κ² = max ratio"
    elif k.witness is not None:
        u = k.witness
        den = float(sup.w[idx] @ (phi[idx] @ u) ** 2)
        ratio = np.zeros(len(idx))
        for o in range(model.n_obs):
            if M[o] <= 0:
                continue
            sl = np.arange(model.obs_ptr[o], model.obs_ptr[o + 1])
            vals = M[o] * (phi[sl] @ u) ** 2 / den
            b = sl[int(np.argmax(vals))]
            hit = np.flatnonzero(idx == b)
            if len(hit):
                ratio[hit[0]] = float(vals.max())
        method = ("local-search witness direction u: ratio = M(ô')(φ(ô',b)ᵀu)²/uᵀΣu, "
                  "summing to κ_lower²")
    else:
        return Witness(k.kappa, k.a6_holds, (), (), "no witness direction: " + k.method)
    names = [(*model.obs_name(int(model.obs_pair_obs[i])),
              model.successor_name(int(model.obs_succ[i]))) for i in idx]
    order = np.argsort(-ratio)
    keep = [i for i in order if ratio[i] >= 1.0][:WITNESS_MAX] if k.a6_holds is False else []
    if not keep and len(order):
        keep = [int(order[0])]
    pairs = []
    for i in keep:
        kk = int(idx[i])
        o = int(model.obs_pair_obs[kk])
        pairs.append(WitnessPair(*names[i], float(ratio[i]), float(M[o]), float(mu_obs[o]),
                                 float(beh[kk]), _sources(model, mu, beh, o)))
    return Witness(k.kappa, k.a6_holds, tuple(pairs),
                   tuple((names[i], float(ratio[i])) for i in range(len(idx))), method)


# ---------------------------------------------------------------------------------------------
# κ as a function of the behaviour policy, and its minimisation
# ---------------------------------------------------------------------------------------------


def kappa_of_behaviour(model: EpochModel, behavior: np.ndarray, phi: np.ndarray | None = None
                       ) -> tuple[Kappa | None, np.ndarray | None]:
    """``(κ, μ)`` under ``behavior`` (``phi`` None: one-hot on the support); ``(None, None)``
    when the behaviour chain is not uniformly ergodic (A6 undefined)."""
    st = stationary(model, behavior)
    if st.mu is None:
        return None, None
    sup = support(model, st.mu, behavior)
    return kappa(model, phi, sup, st.mu, tabular=phi is None, behavior=behavior), st.mu


def _softmax_segments(x: np.ndarray, ptr: np.ndarray, free: np.ndarray) -> np.ndarray:
    z = np.zeros(int(ptr[-1]))
    z[free] = x
    out = np.empty_like(z)
    for o in range(len(ptr) - 1):
        seg = z[ptr[o]:ptr[o + 1]]
        e = np.exp(seg - seg.max())
        out[ptr[o]:ptr[o + 1]] = e / e.sum()
    return out


def minimise_kappa(model: EpochModel, phi: np.ndarray | None = None, *, starts: int = 3,
                   seed: int = 0, maxfev: int = 600) -> tuple[np.ndarray, float, int]:
    """The behaviour policy with the smallest κ found: ``(behavior, κ, evaluations)``.

    ``scipy.optimize.minimize`` (Powell) of ``log κ`` over logits, one softmax per observation
    (the interior of each simplex, so the support stays every admissible pair), from the
    uniform policy, the file's policy and ``starts − 1`` random starts (``seed``). κ is the
    sound upper bound for non-tabular features (exact for one-hot). Observations with one
    successor have no freedom.
    """
    ptr = model.obs_ptr
    sizes = np.diff(ptr)
    free = np.concatenate([np.arange(ptr[o], ptr[o + 1]) for o in range(model.n_obs)
                           if sizes[o] > 1] or [np.zeros(0, dtype=int)]).astype(int)
    n_eval = 0
    best: tuple[float, np.ndarray] = (math.inf, model.behavior.copy())

    def f(x: np.ndarray) -> float:
        nonlocal n_eval, best
        n_eval += 1
        beh = _softmax_segments(x, ptr, free)
        k, _ = kappa_of_behaviour(model, beh, phi)
        val = math.inf if k is None else k.upper
        if val < best[0]:
            best = (val, beh)
        return math.log(val) if 0 < val < math.inf else (1e6 if val == math.inf else -1e6)

    rng = np.random.default_rng(seed)
    file_logits = np.log(np.maximum(model.behavior[free], 1e-12))
    x0s = [np.zeros(len(free)), file_logits]
    x0s += [rng.standard_normal(len(free)) for _ in range(max(0, starts - 1))]
    for x0 in x0s[:max(1, starts + 1)]:
        f(x0)
        if len(free):
            so.minimize(f, x0, method="Powell", options={"maxfev": maxfev, "xtol": 1e-3,
                                                         "ftol": 1e-6})
    return best[1], best[0], n_eval


# ---------------------------------------------------------------------------------------------
# Knobs and scenarios
# ---------------------------------------------------------------------------------------------


def remove_successor(model: EpochModel, agent: str, observation: str, successor: str
                     ) -> EpochModel:
    """``model`` with ``successor`` no longer admissible at (agent, observation); the behaviour
    there is renormalised over the remaining successors."""
    doc = model.to_dict()
    succ = doc["successors"].get(agent, {}).get(observation)
    if succ is None:
        raise InputError(f"what-if remove: no observation {observation!r} of agent {agent!r}")
    if successor not in succ:
        raise InputError(f"what-if remove: {successor!r} is not admissible at "
                         f"{agent}/{observation} (admissible: {', '.join(succ)})")
    if len(succ) == 1:
        raise InputError(f"what-if remove: {successor!r} is the only successor at "
                         f"{agent}/{observation}")
    succ.remove(successor)
    beh = doc["behavior"][agent][observation]
    beh.pop(successor)
    tot = sum(beh.values())
    doc["behavior"][agent][observation] = ({k: v / tot for k, v in beh.items()} if tot > 0 else
                                           {k: 1.0 / len(beh) for k in beh})
    states = {s["id"] for s in doc["states"]
              if s["agent"] == agent and s["obs"] == observation}
    doc["transitions"] = [t for t in doc["transitions"]
                          if not (t["state"] in states and t["successor"] == successor)]
    return from_dict(doc)


@dataclass(frozen=True)
class Scenario:
    """One evaluated configuration of the what-if family.

    Attributes
    ----------
    knob : what was changed (``"as given"`` for the file itself)
    behaviour : ``"file"`` or ``"optimised"``
    kappa : κ (exact for one-hot features, else the sound upper bound)
    a6_holds : κ < 1 (None when the chain is not uniformly ergodic)
    delta_exact : Δ_exact of this configuration (docs/theory.md §3)
    loss_initial, loss_max : the exact loss, in the original model (from ν₀ / worst state), of
        the decentralized greedy policy of this configuration's Q̂*
    policy : per (agent, observation) the greedy successor
    behavior : per (agent, observation) the behaviour probabilities
    evaluations : κ evaluations spent on this scenario
    """

    knob: str
    behaviour: str
    kappa: float
    a6_holds: bool | None
    delta_exact: float
    loss_initial: float
    loss_max: float
    policy: dict[str, str] = field(default_factory=dict)
    behavior: dict[str, dict[str, float]] = field(default_factory=dict)
    evaluations: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"knob": self.knob, "behaviour": self.behaviour, "kappa": self.kappa,
                "a6_holds": self.a6_holds, "delta_exact": self.delta_exact,
                "policy_loss_initial": self.loss_initial, "policy_loss_max": self.loss_max,
                "policy": self.policy, "behavior": self.behavior,
                "evaluations": self.evaluations}


@dataclass(frozen=True)
class WhatIf:
    """The what-if family, every scenario evaluated, and the best one."""

    baseline: Scenario
    scenarios: tuple[Scenario, ...]
    best: Scenario
    found: bool
    family: str
    method: str

    def verdict(self) -> str:
        """The recommendation, naming only an evaluated configuration."""
        b = self.best
        cost = (f"Δ_exact {b.delta_exact:.4g} (file: {self.baseline.delta_exact:.4g}); "
                f"policy loss from ν₀ {b.loss_initial:.4g} (file: "
                f"{self.baseline.loss_initial:.4g}), worst state {b.loss_max:.4g}")
        if self.found:
            return (f"Evaluated: {b.knob} with the {b.behaviour} behaviour policy gives "
                    f"κ = {b.kappa:.4g} < 1 (A6 holds); its cost: {cost}.")
        return (f"Nothing in the family searched ({self.family}) gets κ below 1; the smallest "
                f"found is κ = {b.kappa:.4g} ({b.knob}, {b.behaviour} behaviour); cost: {cost}.")

    def frame(self) -> Any:
        """One row per evaluated configuration (a pandas DataFrame when pandas is installed)."""
        recs = [{k: v for k, v in sc.to_json().items() if k not in ("policy", "behavior")}
                for sc in self.scenarios]
        return frame(recs, ["knob", "behaviour"])

    def _repr_html_(self) -> str:
        return (fields_html("What-if (docs/theory.md §5)", {"verdict": self.verdict(),
                                                           "family": self.family})
                + html_table(("configuration", "behaviour", "κ", "A6", "Δ_exact",
                              "loss from ν₀", "worst-state loss"),
                             [(sc.knob, sc.behaviour, sc.kappa, sc.a6_holds, sc.delta_exact,
                               sc.loss_initial, sc.loss_max) for sc in self.scenarios]))

    def to_json(self) -> dict[str, Any]:
        return {"found": self.found, "family": self.family, "method": self.method,
                "verdict": self.verdict(), "baseline": self.baseline.to_json(),
                "best": self.best.to_json(),
                "scenarios": [s.to_json() for s in self.scenarios]}


def _named(model: EpochModel, values: np.ndarray) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for k in range(model.n_obs_pairs):
        a, o = model.obs_name(int(model.obs_pair_obs[k]))
        out.setdefault(f"{a}/{o}", {})[model.successor_name(int(model.obs_succ[k]))] = \
            float(values[k])
    return out


def _scenario(base: Setting, model: EpochModel, behavior: np.ndarray, knob: str, how: str,
              phi: np.ndarray | None, evaluations: int) -> Scenario:
    """Evaluate one configuration exactly (κ, Δ_exact, the greedy policy's loss in ``base``)."""
    m = model if np.array_equal(behavior, model.behavior) else \
        replace_arrays(model, behavior=np.asarray(behavior, dtype=float))
    s = base if m is base.model else prepare(m)
    k, _ = kappa_of_behaviour(m, m.behavior, phi)
    greedy = {m.obs_name(int(m.obs_pair_obs[p])): m.successor_name(int(m.obs_succ[p]))
              for p in s.hat.policy}
    b = base.model
    pairs = np.array([b.obs_pair_index[(*b.obs_name(o), greedy[b.obs_name(o)])]
                      for o in range(b.n_obs)])
    _, v = evaluate(b.latent, b.lift(deterministic_policy(base.ais.smdp, pairs)))
    per = base.latent.v - v
    return Scenario(knob=knob, behaviour=how, kappa=math.inf if k is None else k.upper,
                    a6_holds=None if k is None else k.a6_holds,
                    delta_exact=ais_gap_exact(s).value, loss_initial=float(b.initial @ per),
                    loss_max=float(per.max(initial=0.0)),
                    policy={f"{a}/{o}": j for (a, o), j in greedy.items()},
                    behavior=_named(m, m.behavior), evaluations=evaluations)


def what_if(model: EpochModel, *, phi: np.ndarray | None = None, gammas: tuple[float, ...] = (),
            initials: tuple[dict[str, float], ...] = (),
            removals: tuple[tuple[str, str, str], ...] = (), starts: int = 3, seed: int = 0,
            maxfev: int = 600, setting: Setting | None = None) -> WhatIf:
    """Search the declared family for a configuration with κ < 1 (see the module docstring).

    Parameters
    ----------
    model : the epoch model as given
    phi : (n_obs_pairs, d) user features (None: one-hot on the support). With ``removals``
        the rows of the removed pairs are dropped.
    gammas : values of γ to try (K = γ^τ changes; the rewards R are as in the file)
    initials : restart laws ν₀ to try, each ``{state id: probability}``
    removals : ``(agent, observation, successor)`` to make inadmissible, one at a time
    starts, seed, maxfev : of :func:`minimise_kappa`
    setting : a :func:`icq.bounds.setting.prepare` of ``model`` to reuse
    """
    base = prepare(model) if setting is None else setting
    variants: list[tuple[str, EpochModel, np.ndarray | None]] = [("as given", model, phi)]
    for g in gammas:
        if not (isinstance(g, int | float) and 0 < g < 1):
            raise InputError(f"what-if gamma: {g!r} must lie in (0, 1)")
        variants.append((f"γ = {g:g}", replace_arrays(model, gamma=float(g)), phi))
    for law in initials:
        unknown = sorted(set(law) - set(model.state_ids))
        if unknown:
            raise InputError(f"what-if initial: unknown state(s) {', '.join(unknown)}")
        nu = np.array([float(law.get(y, 0.0)) for y in model.state_ids])
        if np.any(nu < 0) or not math.isclose(float(nu.sum()), 1.0, rel_tol=1e-9):
            raise InputError("what-if initial: the restart law must be ≥ 0 and sum to 1")
        desc = ", ".join(f"{y} {p:g}" for y, p in law.items() if p > 0)
        variants.append((f"restart law ν₀ = {{{desc}}}", replace_arrays(model, initial=nu),
                         phi))
    for agent, obs, succ in removals:
        m2 = remove_successor(model, agent, obs, succ)
        phi2 = None
        if phi is not None:
            keep = [p for p in range(model.n_obs_pairs)
                    if not (model.obs_name(int(model.obs_pair_obs[p])) == (agent, obs)
                            and model.successor_name(int(model.obs_succ[p])) == succ)]
            phi2 = phi[keep]
        variants.append((f"remove {succ} at {agent}/{obs}", m2, phi2))
    scenarios = []
    for knob, m, feats in variants:
        scenarios.append(_scenario(base, m, m.behavior, knob, "file", feats, 1))
        beh, _, n = minimise_kappa(m, feats, starts=starts, seed=seed, maxfev=maxfev)
        scenarios.append(_scenario(base, m, beh, knob, "optimised", feats, n))
    holding = [s for s in scenarios if s.a6_holds]
    found = bool(holding)
    best = (min(holding, key=lambda s: (s.loss_initial, s.behaviour != "file", s.kappa))
            if found
            else min(scenarios, key=lambda s: s.kappa))
    knobs = ["behaviour policies (softmax over each observation's simplex)"]
    knobs += [f"γ ∈ {{{', '.join(f'{g:g}' for g in gammas)}}}"] if gammas else []
    knobs += [f"{len(initials)} restart law(s)"] if initials else []
    knobs += [f"{len(removals)} successor removal(s)"] if removals else []
    return WhatIf(baseline=scenarios[0], scenarios=tuple(scenarios), best=best, found=found,
                  family="; ".join(knobs),
                  method="each configuration solved exactly (κ "
                  f"{'closed form' if phi is None else 'sound upper bound'}, Δ_exact, the greedy "
                  "policy evaluated in the original model); behaviour by "
                  f"scipy.optimize.minimize (Powell) from {starts + 1} starts, seed {seed}")
