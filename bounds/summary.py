"""The audit as a document a deployment reviewer reads (docs/theory.md §3–§6, §8): the verdict,
both greedy policies side by side, every number.

:func:`audit_document` builds the blocks of the report (:mod:`icq.reference.common.document`):
a highlighted verdict; the failing assumptions first; the A6 witness and, when a what-if search
was run, its evaluated recommendation; the terms of Theorem 1 as the audit gives them; both
greedy policies with their values from ν₀; every number; the formula as math. Figures are
:class:`~icq.reference.common.document.Slot` blocks here: the report (:mod:`icq.report`) draws
them, and :func:`audit_html`, an audit's notebook view, leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from icq.bounds.ais import GAP_FORMS, gap_key, gap_label
from icq.bounds.theorem import IMPORTED, symbolic_summary
from icq.reference.common.document import (
    Heading,
    Items,
    Math,
    Para,
    Slot,
    Table,
    fmt,
    render,
)
from icq.reference.common.tables import frame

if TYPE_CHECKING:  # annotations only: auditor imports this module (its notebook view)
    from icq.bounds.auditor import Audit

__all__ = ["FIGURES", "PolicyComparison", "audit_document", "audit_html", "greedy_policies",
           "number_rows", "verdict"]

_TEX = {"alpha_T": r"\alpha_T", "Delta_AIS": r"\Delta_{\mathrm{AIS}}", "C_F": "C_F"}
#: the report's figures, by the name of their slot
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
                     f"error of the averaged iterate θ̄_T is at most {fmt(th.bound)} "
                     f"({gap_label(th.gap_form)}, "
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
                 f"({gap_label('statewise')}; {gap_label('exact')} = {fmt(gaps['exact'])}); "
                 f"the greedy decentralized policy loses {fmt(a.loss_exact.initial)} from the "
                 "initial law and "
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


#: where each gap form is defined (docs/theory.md), in the vocabulary of :data:`GAP_FORMS`
_GAP_SECTIONS = {"paper": "§3, Lemma A (the paper's Δ_AIS)", "value_aware": "§3, Lemma A (Δ_va)",
                 "statewise": "§3, Lemma A (max e)", "exact": "§3"}


def number_rows(a: Audit) -> list[tuple[str, Any, str]]:
    """Every number of an audit as ``(label, value, docs/theory.md section)``: the one list
    that ``icq audit`` prints and the report's "Every number" table shows (None: undefined).
    The gaps use the one vocabulary of :data:`icq.bounds.ais.GAP_FORMS`."""
    j = a.to_json()
    f = j["features"]
    return [
        ("γ̄", j["gamma_bar"], "§1"), ("T_max", j["T_max"], "§1"), ("R̄", j["R_bar"], "§1"),
        ("ε (B1)", j["epsilon"], "§3"), (f"δ ({j['metric']}, B2)", j["delta"], "§3"),
        ("L_V", j["L_V"], "§3"),
        *((gap_label(g), j[gap_key(g)], _GAP_SECTIONS[g]) for g in GAP_FORMS),
        ("policy-loss bound", j["policy_loss_bound"], "§3, Lemma P"),
        ("exact policy loss (worst state)", j["policy_loss_exact"], "§3"),
        ("exact policy loss from ν₀", j["policy_loss_exact_initial"], "§3"),
        ("t_mix = τ_mix(1/4)", j["tau_mix"], "§4"),
        ("t_mix method", j["tau_mix_method"].split(":")[0], "§4, §9"),
        ("ω (A5)", f["omega"], "§5"), ("κ (A6)", f["kappa"], "§5"),
        ("κ bounds", f"[{fmt(f['kappa_lower'])}, {fmt(f['kappa_upper'])}]", "§5"),
        ("ε_approx", f["epsilon_approx"], "§5"), ("C_F", f["C_F"], "§5, Lemma F"),
        ("pairs outside supp μ⊗π_b", f["outside_support"], "§5"),
    ]


def audit_document(a: Audit, *, whatif: Any | None = None) -> tuple[Any, ...]:
    """The report as document blocks, each figure a :class:`Slot` named as in
    :data:`FIGURES` (see the module docstring).

    Parameters
    ----------
    a : the audit
    whatif : an :class:`icq.bounds.whatif.WhatIf` (optional)
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
    doc.append(Slot("kappa"))
    if whatif is not None:
        doc += [Heading("What-if (evaluated configurations only)"),
                Para(whatif.verdict(), tone="ok" if whatif.found else "warn"),
                Table(("configuration", "behaviour", "κ", "A6", "Δ_exact", "loss from ν₀",
                       "worst-state loss"),
                      tuple((s.knob, s.behaviour, s.kappa, s.a6_holds, s.delta_exact,
                             s.loss_initial, s.loss_max) for s in whatif.scenarios))]
    doc.append(Slot("whatif"))
    doc += [Heading("Theorem 1: its terms"),
            Para(f"T = {th.handoffs:,} handoffs; {th.reason}", tone="" if ok else "fail"),
            Table(("term", "value"), tuple(th.terms.items()) + (
                ("bound: (C_F ε_approx + Δ + √residual)² (Minkowski)", th.bound),
                ("three-term form 3(a² + b² + c²): the sum of the terms", th.bound_three))),
            Items(tuple((f"{k} = ", Math(sym["terms"][k], display=False))
                        for k in th.terms if k in sym["terms"])),
            Slot("bound"), Slot("learning")]
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
            Slot("policy-loss"),
            Heading("Every number"),
            Table(("quantity", "value", "docs/theory.md"), tuple(number_rows(a))),
            Slot("gaps"),
            Heading("The formula (sympy)"),
            Math(r"\mathbb{E}\|Q_{\bar\theta_T}\circ\sigma - Q^*\|_\mu^2 \le " + sym["latex"]),
            Items(tuple((Math(_TEX.get(k, k), display=False), " = ", Math(v, display=False))
                        for k, v in sym["definitions"].items())
                  + (("side conditions: ", *(p for i, c in enumerate(sym["conditions"])
                                              for p in ((", ",) if i else ())
                                              + (Math(c, display=False),))),
                     (IMPORTED,)))]
    return tuple(doc)


def audit_html(a: Audit) -> str:
    """A compact HTML view of an audit for notebooks (no figures): verdict, assumptions,
    greedy policies."""
    keep = tuple(b for b in audit_document(a) if not isinstance(b, Slot | Math | Items))
    page = render(keep, "html", f"IC-Q audit: {a.model.name}")[0]
    return page[page.index("<body>") + 6:page.rindex("</body>")]
