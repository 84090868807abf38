"""``icq solve FILE``: the centralized oracle Q*, the behaviour chain's μ and the AIS optimum Q̂*.

Numbers: ``gamma_bar`` (docs/theory.md §1), ``stationary`` (§4), ``q_latent`` = Q* (§1, Lemma C),
``q_ais`` = Q̂*_μ (§2); ``method`` names the solver.
"""

from __future__ import annotations

import argparse

from icq.commands import UsageError, emit_json, format_table
from icq.reference.exact.chain import stationary
from icq.reference.exact.induced import ais_model
from icq.reference.exact.solve import solve
from icq.reference.model import load


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("solve", help="exact Q* (centralized oracle), μ and Q̂* (AIS model)",
                       description=__doc__)
    p.add_argument("file", help="an icsmdp-epoch/1 JSON file (docs/format.md); "
                   "- reads standard input")
    p.add_argument("--method", choices=("pi", "vi"), default="pi",
                   help="policy iteration (exact, default) or value iteration")
    p.add_argument("--tol", type=float, default=1e-10,
                   help="value-iteration sup-norm tolerance (default 1e-10)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def run(args: argparse.Namespace) -> int:
    if not args.tol > 0:
        raise UsageError(f"--tol: {args.tol} must be > 0")
    m = load(args.file)
    lat = solve(m.latent, args.method, tol=args.tol)
    st = stationary(m)
    ais = ais_model(m)
    hat = solve(ais.smdp, args.method, tol=args.tol)
    q_latent, q_ais = m.pair_rows(lat.q), m.obs_pair_rows(hat.q)
    stationary_out = ({m.state_ids[y]: float(p) for y, p in enumerate(st.mu)}
                      if st.mu is not None else None)
    method = (f"Q*: {lat.method}, {lat.iterations} iterations, residual {lat.residual:.2e}; "
              f"Q̂*: {hat.method}, {hat.iterations} iterations, residual {hat.residual:.2e}; "
              f"{ais.method}")
    if args.json:
        emit_json({"gamma_bar": m.gamma_bar, "stationary": stationary_out,
                   "stationary_status": st.reason, "q_latent": q_latent, "q_ais": q_ais,
                   "method": method})
        return 0
    print(f"{m.name}: {m.n_states} latent states, {m.n_agents} agents, {m.n_obs} observations")
    print(f"γ = {m.gamma}, γ̄ = {m.gamma_bar:.6g} (docs/theory.md §1), T_max = {m.T_max}, "
          f"R̄ = {m.R_bar:.6g}")
    print(f"behaviour chain: {st.reason}")
    print("\nQ* — centralized oracle on latent states (docs/theory.md §1)")
    print(format_table(["state", "successor", "Q*", "μ(y)"],
                       [[r["state"], r["successor"], r["q"],
                         stationary_out[r["state"]] if stationary_out else "—"]
                        for r in q_latent]))
    print("\nQ̂*_μ — AIS-induced SMDP on observations (docs/theory.md §2)")
    print(format_table(["agent", "obs", "successor", "Q̂*"],
                       [[r["agent"], r["obs"], r["successor"], r["q"]] for r in q_ais]))
    print(f"\nmethod: {method}")
    return 0
