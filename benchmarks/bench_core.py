"""Benchmark: the exact solver and tabular IC-Q against QuantEcon and pymdptoolbox.

Run ``python benchmarks/bench_core.py [--quick] [--repeat 3] [--json]``. Figures depend on the
machine; ``benchmarks/README.md`` records one run. This is a script, not a timed test.

**Exact solve.** Random epoch models from :func:`icq.reference.model.generate.random_model`
(8 agents, 4 admissible successors per observation, 4 outcomes per pair, durations uniform on
1..3, γ = 0.9, 5 % terminal outcomes, seed 0) are solved in this one process by

- ours: :func:`icq.reference.exact.solve.policy_iteration` (exact) and
  ``value_iteration(tol=1e-10)``;
- QuantEcon ``DiscreteDP`` in its state–action-pair sparse form: value iteration, modified
  policy iteration (k = 20) and policy iteration (sparse LU evaluations), ε = 1e-10;
- pymdptoolbox ``ValueIteration`` (ε = 1e-10) and ``PolicyIteration`` (matrix evaluation).

The peers solve MDPs, so the SMDP is embedded as an MDP with discount γ̄: transition law
``P = K/γ̄`` (rows sum to ≤ 1 because ``Σ_{y'} K ≤ γ̄``) plus an absorbing zero-reward sink
that takes the missing mass ``1 − Σ_{y'} K/γ̄`` (episode ends and the discount deficit
``γ̄ − E[γ^τ]``). Then ``γ̄ P v = K v`` on the latent states and the sink's value is 0, so the
MDP's optimal values are exactly ``V*``. Every peer's values are compared with ours; a peer
is skipped, with the reason printed, where its method needs memory or time quadratic in the
number of states (dense S×S policy matrices, sparse-LU fill-in on random graphs, or
pymdptoolbox's O(S²) iteration bound in ``ValueIteration.__init__``).

Ours is also run alone in a fresh subprocess on the largest instance to measure its peak
resident set size (``VmHWM``), which includes the interpreter, numpy/scipy and the generated
model.

**Tabular learning.** Handoffs per second of :func:`icq.reference.learners.tabular.train_tabular`
(numba, one core), of the same algorithm as a plain-Python loop, and steps per second of
pymdptoolbox's ``QLearning`` on the embedded MDP (a different algorithm: an MDP Q-learner that
recomputes V and the policy over all states after every step, so only its rate is reported).

Every solver runs single-threaded (``OPENBLAS_NUM_THREADS=1`` and friends are set before numpy
is imported): on a shared machine a threaded BLAS dot product can cost more than a sparse
matrix–vector product. Times are the best of ``--repeat`` runs.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import bisect  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from icq.reference.exact.solve import policy_iteration, value_iteration  # noqa: E402
from icq.reference.learners.handoffs import block_cdf  # noqa: E402
from icq.reference.learners.tabular import TrainConfig, train_tabular  # noqa: E402
from icq.reference.model import EpochModel  # noqa: E402
from icq.reference.model.generate import random_model  # noqa: E402

EPS = 1e-10  # ε handed to every ε-optimal peer method (and our value iteration's tolerance)
EPS_TIGHT = 1e-12  # quantecon's MPI once more, near the accuracy of our exact solve


def instance(n: int, seed: int = 0, **kw: Any) -> EpochModel:
    """The benchmark family (module docstring); ``kw`` overrides the generator's knobs."""
    knobs = dict(n_agents=8, successors=4, outcomes=4, duration="uniform", max_duration=3,
                 gamma=0.9, p_terminal=0.05, seed=seed)
    return random_model(n, **{**knobs, **kw})


# ---------------------------------------------------------------------------------------
# The SMDP as an MDP with discount γ̄ (module docstring)
# ---------------------------------------------------------------------------------------


def embed(model: EpochModel) -> dict[str, Any]:
    """State–action-pair form of the embedded MDP: rows are our pairs, then the sink's."""
    s = model.latent
    n, L, g = s.n, s.n_pairs, s.gamma_bar
    P = (s.K / g).tocsr()
    missing = np.clip(1.0 - np.asarray(P.sum(axis=1)).ravel(), 0.0, None)
    Q = sp.hstack([P, sp.csr_matrix(missing[:, None])], format="csr")
    Q = sp.vstack([Q, sp.csr_matrix(([1.0], ([0], [n])), shape=(1, n + 1))], format="csr")
    return {"R": np.append(s.reward, 0.0), "Q": Q, "beta": g,
            "s": np.append(s.pair_state, n), "a": np.append(np.arange(L) - s.ptr[s.pair_state], 0)}


def per_action(model: EpochModel, dense: bool) -> tuple[list[Any], np.ndarray]:
    """pymdptoolbox's form: one (S+1)×(S+1) matrix per action and R of shape (S+1, A).

    Needs the same number A of successors in every state (true of the benchmark family).
    """
    e = embed(model)
    n = model.n_states
    A = int(np.diff(model.pair_ptr).max())
    if not np.all(np.diff(model.pair_ptr) == A):
        raise ValueError("pymdptoolbox needs the same number of actions in every state")
    Ps, R = [], np.zeros((n + 1, A))
    for a in range(A):
        idx = np.append(model.pair_ptr[:-1] + a, e["Q"].shape[0] - 1)
        Pa = e["Q"][idx]
        Ps.append(Pa.toarray() if dense else Pa.tocsr())
        R[:, a] = e["R"][idx]
    return Ps, R


# ---------------------------------------------------------------------------------------
# Exact solve
# ---------------------------------------------------------------------------------------


def best_of(f: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The least CPU time (``time.process_time``) of ``repeat`` calls, and the last result.

    Every solver here runs on one thread, so CPU time is the wall time of an idle machine and
    is not inflated by other processes competing for the cores.
    """
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.process_time()
        out = f()
        best = min(best, time.process_time() - t0)
    return best, out


def solver_rows(model: EpochModel, repeat: int, mdp_vi_max: int = 10_000
                ) -> list[dict[str, Any]]:
    """Time every applicable solver on ``model``; values are compared with our exact V*."""
    # pymdptoolbox, quantecon: the [bench] extra, the peers timed beside our solvers
    import mdptoolbox.mdp as mdp
    import quantecon as qe

    n = model.n_states
    s = model.latent
    _ = s.K, s.gamma_bar  # build the kernel once, as the peers' matrices are built once
    rows: list[dict[str, Any]] = []
    t_pi, ours = best_of(lambda: policy_iteration(s), repeat)
    v_star = ours.v
    scale = max(1.0, float(np.abs(v_star).max()))

    def row(solver: str, method: str, seconds: float | None, v: np.ndarray | None,
            tol: float | None, note: str = "") -> None:
        err = None if v is None else float(np.abs(np.asarray(v)[:n] - v_star).max()) / scale
        rows.append({"n": n, "solver": solver, "method": method, "seconds": seconds,
                     "rel_error": err, "tolerance": tol,
                     "agrees": None if err is None else bool(err <= tol), "note": note})

    row("icq", "policy iteration (exact)", t_pi, v_star, 1e-12,
        f"{ours.iterations} improvements, residual {ours.residual:.1e}, "
        f"certified error ≤ {ours.error_bound:.1e}")
    t, res = best_of(lambda: value_iteration(s, tol=EPS), repeat)
    row("icq", f"value iteration (tol {EPS:g})", t, res.v, EPS / scale,
        f"{res.iterations} sweeps")

    e = embed(model)
    ddp = qe.markov.DiscreteDP(e["R"], e["Q"], e["beta"], e["s"], e["a"])
    for method, name, eps in (("vi", "value iteration", EPS), ("mpi", "modified PI k=20", EPS),
                              ("mpi", "modified PI k=20", EPS_TIGHT)):
        t, res = best_of(lambda m=method, e=eps: ddp.solve(m, epsilon=e, max_iter=10**6),
                         repeat)
        row("quantecon", f"{name} (ε {eps:g})", t, res.v, eps / scale,
            f"{res.num_iter} iterations")
    if n <= 2_000:
        t, res = best_of(lambda: ddp.solve("pi", max_iter=10**6), 1)
        row("quantecon", "policy iteration (sparse LU)", t, res.v, 1e-9,
            f"{res.num_iter} iterations")
    else:
        row("quantecon", "policy iteration (sparse LU)", None, None, None,
            "skipped: sparse-LU fill-in on random graphs (≈220 s at 10,000 states)")

    if n <= mdp_vi_max:
        Ps, R = per_action(model, dense=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")

            def mdp_vi() -> Any:
                vi = mdp.ValueIteration(Ps, R, e["beta"], epsilon=EPS, max_iter=10**6)
                vi.run()
                return vi

            t, res = best_of(mdp_vi, 1)
        row("pymdptoolbox", f"ValueIteration (ε {EPS:g})", t, res.V, EPS / scale,
            f"{res.iter} iterations (incl. its O(S²) iteration bound)")
    else:
        row("pymdptoolbox", f"ValueIteration (ε {EPS:g})", None, None, None,
            "skipped: its iteration bound builds S dense columns (O(S²); ~100 s at 10,000)")
    if n <= 2_000:
        Ps, R = per_action(model, dense=True)

        def mdp_pi() -> Any:
            pi = mdp.PolicyIteration(Ps, R, e["beta"], max_iter=10**6, eval_type=0)
            pi.run()
            return pi

        t, res = best_of(mdp_pi, 1)
        row("pymdptoolbox", "PolicyIteration (dense solve)", t, res.V, 1e-9,
            f"{res.iter} iterations")
    else:
        gb = 8 * (n + 1) ** 2 / 2**30
        row("pymdptoolbox", "PolicyIteration (dense solve)", None, None, None,
            f"skipped: dense S×S policy matrix ({gb:.0f} GiB)")
    return rows


def rss_child(n: int) -> dict[str, Any]:
    """Generate and solve ``instance(n)`` exactly in this (fresh) process; peak RSS in MiB."""
    t0 = time.perf_counter()
    model = instance(n)
    s = model.latent
    _ = s.K, s.gamma_bar
    t_gen = time.perf_counter() - t0
    rss_before = _status_mib("VmRSS")
    t0 = time.perf_counter()
    sol = policy_iteration(s)
    t_solve = time.perf_counter() - t0
    # VmHWM is this process's own high-water mark; getrusage's ru_maxrss would also count the
    # parent's peak, which Linux carries across fork and exec
    peak = _status_mib("VmHWM")
    if peak != peak:  # pragma: no cover - no /proc: fall back to getrusage
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"n": n, "pairs": s.n_pairs, "kernel_nnz": int(s.K.nnz), "generate_s": t_gen,
            "solve_s": t_solve, "rss_before_solve_mib": rss_before, "peak_rss_mib": peak,
            "iterations": sol.iterations, "residual": sol.residual,
            "error_bound": sol.error_bound, "method": sol.method}


def _status_mib(key: str) -> float:
    """A ``/proc/self/status`` memory field in MiB (NaN where there is no /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:  # pragma: no cover - not Linux
        pass
    return float("nan")


# ---------------------------------------------------------------------------------------
# Tabular learning rates
# ---------------------------------------------------------------------------------------


def python_icq(model: EpochModel, handoffs: int, seed: int = 0, omega: float = 0.7
               ) -> list[float]:
    """Tabular IC-Q (behaviour exploration, harmonic steps) as a plain-Python loop.

    The algorithm of :mod:`icq.reference.learners.tabular`: sample j ~ π_b(·|ô), an outcome of
    (y, j), update ``Q(ô,j) += n^{-ω}(R + γ^τ max_{j'} Q(ô',j') − Q(ô,j))`` (target R at an episode
    end, which restarts from ν₀).
    """
    rnd = random.Random(seed)
    state_obs = model.state_obs.tolist()
    obs_ptr = model.obs_ptr.tolist()
    beh_cdf = block_cdf(model.behavior, model.obs_ptr).tolist()
    pair_ptr = model.pair_ptr.tolist()
    out_ptr = model.out_ptr.tolist()
    out_cdf = block_cdf(model.out_prob, model.out_ptr).tolist()
    out_disc = (model.gamma ** model.out_dur.astype(float)).tolist()
    out_rew = model.out_rew.tolist()
    out_next = model.out_next.tolist()
    init_cdf = np.cumsum(model.initial).tolist()
    n_states = model.n_states
    q = [0.0] * model.n_obs_pairs
    visits = [0] * model.n_obs_pairs
    y = min(bisect.bisect_right(init_cdf, rnd.random()), n_states - 1)
    for _ in range(handoffs):
        o = state_obs[y]
        lo, hi = obs_ptr[o], obs_ptr[o + 1]
        u = rnd.random()
        a = lo
        while a < hi - 1 and u >= beh_cdf[a]:
            a += 1
        k = pair_ptr[y] + a - lo
        x, end = out_ptr[k], out_ptr[k + 1] - 1
        u = rnd.random()
        while x < end and u >= out_cdf[x]:
            x += 1
        nxt = out_next[x]
        if nxt < 0:
            target = out_rew[x]
            y = min(bisect.bisect_right(init_cdf, rnd.random()), n_states - 1)
        else:
            o2 = state_obs[nxt]
            target = out_rew[x] + out_disc[x] * max(q[obs_ptr[o2]:obs_ptr[o2 + 1]])
            y = nxt
        visits[a] += 1
        q[a] += (target - q[a]) / visits[a] ** omega
    return q


def learner_rows(quick: bool) -> list[dict[str, Any]]:
    """Handoffs per CPU second on a small, a mid-size and a large instance (module docstring)."""
    # pymdptoolbox: the [bench] extra, the peer timed beside our learner
    import mdptoolbox.mdp as mdp

    rows: list[dict[str, Any]] = []
    n_ours = 5_000_000 if quick else 20_000_000
    n_py = 100_000 if quick else 300_000
    train_tabular(instance(50), TrainConfig(handoffs=1_000))  # compile outside the timing
    cases = [instance(100), instance(1_000, obs_per_agent=20),
             instance(10_000, obs_per_agent=50)]
    for m in cases:
        what = f"{m.n_states} states, {m.n_obs_pairs} table entries"
        t, res = best_of(lambda m=m: train_tabular(m, TrainConfig(handoffs=n_ours, seed=0),
                                                   chunk=n_ours), 1)
        rows.append({"instance": what, "learner": "icq train_tabular (numba)",
                     "handoffs": res.handoffs, "seconds": t, "rate": res.handoffs / t})
        t, _ = best_of(lambda m=m: python_icq(m, n_py), 1)
        rows.append({"instance": what, "learner": "same algorithm, plain Python",
                     "handoffs": n_py, "seconds": t, "rate": n_py / t})
        if m.n_states <= 100:
            Ps, R = per_action(m, dense=True)
            np.random.seed(0)
            steps = 20_000
            ql = mdp.QLearning(Ps, R, m.gamma_bar, n_iter=steps)
            t, _ = best_of(ql.run, 1)
            rows.append({"instance": what, "learner": "pymdptoolbox QLearning (MDP steps)",
                         "handoffs": steps, "seconds": t, "rate": steps / t})
    return rows


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def _fmt(v: Any, spec: str) -> str:
    return "—" if v is None else format(v, spec)


def print_report(solve: list[dict[str, Any]], rss: dict[str, Any],
                 learn: list[dict[str, Any]]) -> None:
    print("\nExact solve: CPU seconds, best of repeats; rel. error = max|V − V*| / max(1, |V*|)"
          " with V* from icq policy iteration")
    head = (f"{'states':>7}  {'solver':<12} {'method':<34} {'seconds':>8} {'× icq PI':>8} "
            f"{'rel. error':>10}  {'agrees':<6}  note")
    print(head)
    print("-" * len(head))
    summary = {}
    for n in sorted({r["n"] for r in solve}):
        group = [r for r in solve if r["n"] == n]
        ours = next(r["seconds"] for r in group if r["method"].startswith("policy iteration (e"))
        for r in group:
            ratio = None if r["seconds"] is None else r["seconds"] / ours
            agrees = "—" if r["agrees"] is None else ("yes" if r["agrees"] else "NO")
            print(f"{n:>7}  {r['solver']:<12} {r['method']:<34} {_fmt(r['seconds'], '8.3f'):>8} "
                  f"{_fmt(ratio, '8.2f'):>8} {_fmt(r['rel_error'], '10.1e'):>10}  {agrees:<6}  "
                  f"{r['note']}")
        peers = [r for r in group if r["solver"] != "icq" and r["seconds"] is not None]
        fastest = min(peers, key=lambda r: r["seconds"])
        print(f"{'':>7}  fastest peer: {fastest['solver']} {fastest['method']} takes "
              f"{fastest['seconds'] / ours:.2f}× the CPU time of icq's exact solve\n")
        summary[n] = (ours, fastest)
    print(f"Fresh process, {rss['n']} states ({rss['pairs']} pairs, {rss['kernel_nnz']} kernel "
          f"entries): generate {rss['generate_s']:.2f} s, exact solve {rss['solve_s']:.2f} s "
          f"wall, peak RSS {rss['peak_rss_mib']:.0f} MiB ({rss['rss_before_solve_mib']:.0f} MiB "
          f"before the solve); {rss['iterations']} improvements, residual "
          f"{rss['residual']:.1e}, certified error ≤ {rss['error_bound']:.1e}")

    print("\nTabular learning: handoffs per CPU second, one core")
    head = f"{'learner':<36} {'handoffs':>10} {'seconds':>8} {'handoffs/s':>11}  instance"
    print(head)
    print("-" * len(head))
    for r in learn:
        print(f"{r['learner']:<36} {r['handoffs']:>10} {r['seconds']:>8.2f} "
              f"{r['rate']:>11.3g}  {r['instance']}")
    for inst in dict.fromkeys(r["instance"] for r in learn):
        rs = {r["learner"]: r["rate"] for r in learn if r["instance"] == inst}
        print(f"  {inst}: compiled / plain Python = "
              f"{rs['icq train_tabular (numba)'] / rs['same algorithm, plain Python']:.0f}×")

    n = max(summary)
    ours, fastest = summary[n]
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print(f"\nTargets at {n} states: exact solve {rss['solve_s']:.2f} s wall (< 30 s: "
          f"{verdict(rss['solve_s'] < 30)}), peak RSS {rss['peak_rss_mib']:.0f} MiB (< 2048: "
          f"{verdict(rss['peak_rss_mib'] < 2048)}), fastest peer / icq = "
          f"{fastest['seconds'] / ours:.2f} (≥ 1: {verdict(fastest['seconds'] >= ours)})")
    for r in learn:
        if r["learner"].startswith("icq"):
            print(f"Tabular IC-Q {r['rate']:.3g} handoffs/s on {r['instance']} (≥ 5e6: "
                  f"{verdict(r['rate'] >= 5e6)})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smaller instances (1,000 and 10,000 states; RSS at 10,000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per cheap solver")
    ap.add_argument("--json", action="store_true", help="also print one JSON object")
    ap.add_argument("--rss-child", type=int, metavar="N", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_child:
        print(json.dumps(rss_child(args.rss_child)))
        return 0
    sizes = [1_000, 10_000] if args.quick else [2_000, 10_000, 100_000]
    mdp_vi_max = 2_000 if args.quick else 10_000
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} logical CPUs, single-threaded BLAS")
    out = subprocess.run([sys.executable, __file__, "--rss-child", str(sizes[-1])],
                         capture_output=True, text=True, check=True)
    rss = json.loads(out.stdout.strip().splitlines()[-1])
    solve = []
    for n in sizes:
        solve += solver_rows(instance(n), args.repeat, mdp_vi_max)
        print(f"solved {n} states", file=sys.stderr, flush=True)
    learn = learner_rows(args.quick)
    print_report(solve, rss, learn)
    if args.json:
        print(json.dumps({"solve": solve, "rss": rss, "learn": learn}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
