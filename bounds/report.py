"""The audit report, in Markdown or HTML, for a deployment reviewer (docs/theory.md §3–§6, §8).

:func:`report_document` builds one document (:mod:`icq.bounds.document`) that
:func:`render_report` renders to either format: a highlighted verdict; the failing assumptions
first; the A6 witness and, when a what-if search was run, its evaluated recommendation; the
terms of Theorem 1 as the audit gives them; both greedy policies side by side with their values
from ν₀; every number; the formula as math (MathML in HTML). Figures (:mod:`icq.bounds.figures`):
learning curves when a Monte-Carlo certificate is given, each bound against T, the per-state
policy loss, the κ witness, the what-if and the AIS gaps; one that does not apply is replaced by
a sentence. Markdown reports write figures beside themselves (``<stem>-<name>.png``); HTML
embeds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from icq.bounds.auditor import Audit
from icq.bounds.document import Figure, Heading, Items, Math, Omitted, Para, Table, fmt, render
from icq.bounds.figures import (
    bound_figure,
    gaps_figure,
    kappa_figure,
    learning_figure,
    policy_loss_figure,
    whatif_figure,
)
from icq.bounds.theorem import IMPORTED, symbolic_summary
from icq.reference.common.io import atomic_write
from icq.reference.common.tables import frame

__all__ = ["PolicyComparison", "greedy_policies", "render_report", "report_document",
           "verdict", "write_report"]

_TEX = {"alpha_T": r"\alpha_T", "Delta_AIS": r"\Delta_{\mathrm{AIS}}", "C_F": "C_F"}
FIGURES = ("learning", "bound", "policy-loss", "kappa", "whatif", "gaps")
#: the greedy-policy table lists at most this many latent states (those that differ first)
POLICY_ROWS_MAX = 200


def verdict(a: Audit, whatif: Any | None = None) -> str:
    """Sentences a deployment reviewer can act on; advice only from an evaluated what-if."""
    th = a.theorem
    gaps = a.gaps()
    lines = []
    if th.applicable:
        lines.append(f"Theorem 1 applies: after T = {th.handoffs:,} handoffs the expected squared "
                     f"error of the averaged iterate θ̄_T is at most {fmt(th.bound)} (Δ_AIS, "
                     "Minkowski form, start law ν₀ included).")
    else:
        failed = [k for k, c in a.assumptions.items() if c.holds is not True]
        lines.append("Theorem 1 does NOT apply to this workflow as configured: "
                     + ", ".join(f"{k} ({a.assumptions[k].status})" for k in failed) + ". "
                     "The finite-sample guarantee cannot be claimed; every term reported here "
                     "that is defined is still exact.")
        w = a.witness
        if "A6" in failed and w is not None and w.pairs:
            p = w.pairs[0]
            what = ("its ratio M(ô')/w(ô',b)" if a.features.kind == "tabular"
                    else "its share of κ² along the witness direction")
            lines.append(f"A6 fails at {p.agent}/{p.observation} → {p.successor}: {what} is "
                         f"{p.ratio:.4g} (κ = {w.kappa:.4g}; see the A6 witness).")
    if whatif is not None:
        lines.append(whatif.verdict())
    lines.append(f"The interface costs at most {fmt(gaps['statewise'])} in action value "
                 f"(state-wise bound; exact gap {fmt(gaps['exact'])}); the greedy decentralized "
                 f"policy loses {fmt(a.loss_exact.initial)} from the initial law and "
                 f"{fmt(a.loss_exact.value)} in the worst state (bound "
                 f"{fmt(a.policy_loss_bound.value)}).")
    return " ".join(lines)


@dataclass(frozen=True)
class PolicyComparison:
    """Both greedy policies per latent state (docs/theory.md §2–§3).

    Attributes
    ----------
    rows : ``(agent, observation, state, centralized, decentralized, differs, V*, V^π̂)`` per
        latent state: the centralized Q*-greedy successor and the decentralized Q̂*-greedy
        successor of the state's observation
    value_central, value_decentral : ``ν₀·V*`` and ``ν₀·V^π̂``
    loss_initial : their difference
    """

    rows: tuple[tuple[str, str, str, str, str, bool, float, float], ...]
    value_central: float
    value_decentral: float
    loss_initial: float

    HEADERS = ("agent", "observation", "state", "centralized Q*-greedy",
               "decentralized Q̂*-greedy", "differ", "V*", "V^π̂")

    def shown(self, limit: int) -> tuple[tuple[Any, ...], ...]:
        """At most ``limit`` rows in state order, those where the policies differ first."""
        if len(self.rows) <= limit:
            return self.rows
        keep = sorted(sorted(range(len(self.rows)), key=lambda i: not self.rows[i][5])[:limit])
        return tuple(self.rows[i] for i in keep)

    def to_json(self) -> dict[str, Any]:
        return {"value_central_initial": self.value_central,
                "value_decentral_initial": self.value_decentral,
                "loss_initial": self.loss_initial,
                "states": [dict(zip(("agent", "observation", "state", "centralized",
                                     "decentralized", "differ", "v_star", "v_decentral"), r,
                                    strict=True)) for r in self.rows]}

    def frame(self) -> Any:
        """A pandas DataFrame when pandas is installed, else a list of dicts."""
        return frame([dict(zip(self.HEADERS, r, strict=True)) for r in self.rows],
                     ["agent", "observation", "state"])


def greedy_policies(a: Audit) -> PolicyComparison:
    """The centralized and decentralized greedy policies side by side (see the class)."""
    m, s = a.model, a.setting
    v_hat = s.latent.v - a.loss_exact.per_state
    dec = {int(m.obs_pair_obs[p]): m.successor_name(int(m.obs_succ[p])) for p in s.hat.policy}
    rows = []
    for y in range(m.n_states):
        o = int(m.state_obs[y])
        cen = m.successor_name(int(m.latent.succ[s.latent.policy[y]]))
        rows.append((*m.obs_name(o), m.state_ids[y], cen, dec[o], cen != dec[o],
                     float(s.latent.v[y]), float(v_hat[y])))
    vc = float(m.initial @ s.latent.v)
    return PolicyComparison(tuple(rows), vc, vc - a.loss_exact.initial, a.loss_exact.initial)


def _numbers(a: Audit) -> list[tuple[str, Any, str]]:
    j = a.to_json()
    f = j["features"]
    return [
        ("γ̄", j["gamma_bar"], "§1"), ("T_max", j["T_max"], "§1"), ("R̄", j["R_bar"], "§1"),
        ("ε (B1)", j["epsilon"], "§3"), (f"δ ({j['metric']}, B2)", j["delta"], "§3"),
        ("L_V", j["L_V"], "§3"), ("Δ_AIS", j["ais_gap"], "§3, Lemma A"),
        ("Δ_va", j["ais_gap_value_aware"], "§3, Lemma A"),
        ("state-wise", j["ais_gap_statewise"], "§3, Lemma A"),
        ("Δ_exact", j["ais_gap_exact"], "§3"),
        ("policy-loss bound", j["policy_loss_bound"], "§3, Lemma P"),
        ("exact policy loss (worst state)", j["policy_loss_exact"], "§3"),
        ("exact policy loss from ν₀", j["policy_loss_exact_initial"], "§3"),
        ("t_mix = τ_mix(1/4)", j["tau_mix"], "§4"),
        ("ω (A5)", f["omega"], "§5"), ("κ (A6)", f["kappa"], "§5"),
        ("κ bounds", f"[{fmt(f['kappa_lower'])}, {fmt(f['kappa_upper'])}]", "§5"),
        ("ε_approx", f["epsilon_approx"], "§5"), ("C_F", f["C_F"], "§5, Lemma F"),
        ("pairs outside supp μ⊗π_b", f["outside_support"], "§5"),
    ]


def report_document(a: Audit, *, whatif: Any | None = None, certificate: Any | None = None
                    ) -> tuple[Any, ...]:
    """The report as document blocks (see the module docstring).

    Parameters
    ----------
    a : the audit
    whatif : an :class:`icq.bounds.whatif.WhatIf` (optional)
    certificate : a Monte-Carlo certificate result (duck-typed, see
        :func:`icq.bounds.figures.certificate_curves`; optional)
    """
    th = a.theorem
    sym = symbolic_summary()
    ok = th.applicable
    checks = sorted(a.assumptions.items(), key=lambda kv: kv[1].holds is True)
    doc: list[Any] = [
        Heading(f"IC-Q audit: {a.model.name}", 1), Heading("Verdict"),
        Para(verdict(a, whatif), tone="ok" if ok else "fail"),
        Heading("Assumptions (failing first)"),
        Table(("assumption", "status", "detail"),
              tuple((k, c.status, c.detail) for k, c in checks),
              tuple("fail" if c.holds is False else "warn" if c.holds is None else ""
                    for _, c in checks)),
    ]
    w = a.witness
    doc.append(Heading("A6 witness"))
    if w is None:
        doc.append(Para("κ is undefined without the stationary law μ (A2), so A6 has no "
                        "witness."))
    else:
        doc.append(Para(w.lines()[0], tone="fail" if w.a6_holds is False else ""))
        doc.append(Table(("agent", "observation", "successor", "ratio", "M(ô')", "μ(ô')",
                          "π_b(b|ô')", "M comes from"),
                         tuple((p.agent, p.observation, p.successor, p.ratio, p.M, p.mu_obs,
                                p.behaviour, "; ".join(f"{x}/{o} → {j} ({s:.0%})"
                                                       for x, o, j, s in p.sources))
                               for p in w.pairs)))
    doc.append(kappa_figure(w))
    if whatif is not None:
        doc += [Heading("What-if (evaluated configurations only)"),
                Para(whatif.verdict(), tone="ok" if whatif.found else "warn"),
                Table(("configuration", "behaviour", "κ", "A6", "Δ_exact", "loss from ν₀",
                       "worst-state loss"),
                      tuple((s.knob, s.behaviour, s.kappa, s.a6_holds, s.delta_exact,
                             s.loss_initial, s.loss_max) for s in whatif.scenarios))]
    doc.append(whatif_figure(whatif))
    doc += [Heading("Theorem 1: its terms"),
            Para(f"T = {th.handoffs:,} handoffs; {th.reason}", tone="" if ok else "fail"),
            Table(("term", "value"), tuple(th.terms.items()) + (
                ("bound: (C_F ε_approx + Δ + √residual)² (Minkowski)", th.bound),
                ("three-term form 3(a² + b² + c²): the sum of the terms", th.bound_three))),
            Items(tuple((f"{k} = ", Math(sym["terms"][k], display=False))
                        for k in th.terms if k in sym["terms"])),
            bound_figure(a), learning_figure(certificate)]
    pc = greedy_policies(a)
    rows = pc.shown(POLICY_ROWS_MAX)
    more = (f" {len(rows)} of {len(pc.rows)} states are listed, those where the policies "
            "differ first; the JSON output has them all." if len(rows) < len(pc.rows) else "")
    doc += [Heading("Greedy policies: centralized and decentralized"),
            Para(f"From the initial law: V*(ν₀) = {pc.value_central:.6g} (centralized, sees the "
                 f"latent state), V^π̂(ν₀) = {pc.value_decentral:.6g} (decentralized); loss "
                 f"{pc.loss_initial:.6g}. Rows marked 'yes' are states where they differ."
                 + more),
            Table(PolicyComparison.HEADERS, rows, tuple("warn" if r[5] else "" for r in rows)),
            policy_loss_figure(a),
            Heading("Every number"),
            Table(("quantity", "value", "docs/theory.md"), tuple(_numbers(a))),
            gaps_figure(a),
            Heading("The formula (sympy)"),
            Math(r"\mathbb{E}\|Q_{\bar\theta_T}\circ\sigma - Q^*\|_\mu^2 \le " + sym["latex"]),
            Items(tuple((Math(_TEX.get(k, k), display=False), " = ", Math(v, display=False))
                        for k, v in sym["definitions"].items())
                  + (("side conditions: ", *(p for i, c in enumerate(sym["conditions"])
                                              for p in ((", ",) if i else ())
                                              + (Math(c, display=False),))),
                     (IMPORTED,)))]
    return tuple(doc)


def render_report(a: Audit, fmt_: str, figure_names: dict[str, str] | None = None, *,
                  whatif: Any | None = None, certificate: Any | None = None
                  ) -> tuple[str, dict[str, bytes]]:
    """``(text, figures)``: the report in ``fmt_`` (``"md"`` or ``"html"``) and its PNGs."""
    doc = report_document(a, whatif=whatif, certificate=certificate)
    return render(doc, fmt_, f"IC-Q audit: {a.model.name}", figure_names)


def write_report(a: Audit, path: str | Path, *, whatif: Any | None = None,
                 certificate: Any | None = None) -> list[Path]:
    """Write the report to ``path`` (``.md`` or ``.html``), atomically; returns every file."""
    p = Path(path)
    kind = {".md": "md", ".html": "html", ".htm": "html"}.get(p.suffix.lower())
    if kind is None:
        raise ValueError(f"report: {str(p)!r} must end in .md or .html")
    names = {k: f"{p.stem}-{k}.png" for k in FIGURES}
    text, figs = render_report(a, kind, names, whatif=whatif, certificate=certificate)
    written: list[Path] = []
    try:  # every file atomically; on a failure the ones already written are removed
        if kind == "md":
            for k, data in figs.items():
                fp = p.with_name(names[k])
                with atomic_write(fp, "wb") as fh:
                    fh.write(data)
                written.append(fp)
        with atomic_write(p) as fh:
            fh.write(text)
    except BaseException:
        for fp in written:
            fp.unlink(missing_ok=True)
        raise
    written.append(p)
    return written


def audit_html(a: Audit) -> str:
    """A compact HTML view of an audit for notebooks (no figures): verdict, assumptions,
    greedy policies."""
    doc = report_document(a)
    keep = tuple(b for b in doc if not isinstance(b, Figure | Omitted | Math | Items))
    page = render(keep, "html", f"IC-Q audit: {a.model.name}")[0]
    return page[page.index("<body>") + 6:page.rindex("</body>")]
