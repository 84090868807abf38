"""The audit report, in Markdown or HTML, for a deployment reviewer (docs/theory.md §3–§6).

Contents: a plain-language verdict; the three-term decomposition of Theorem 1; the bound
against the number of handoffs T with the exact asymptote Δ_exact; the assumption table; the
AIS gaps and the policy loss; and the sympy ``latex()`` of the bound, its terms and definitions.
Figures are matplotlib PNGs: beside a Markdown report (``<stem>-gaps.png``,
``<stem>-bound.png``), embedded in an HTML one.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from . import symbolic as S
from .auditor import MIX_EXACT_MAX, Audit
from .mixing import mixing_profile
from .theorem import IMPORTED, symbolic_summary

__all__ = ["render_report", "verdict", "write_report"]

_TEX = {"alpha_T": r"\alpha_T", "Delta_AIS": r"\Delta_{\mathrm{AIS}}"}


def _fmt(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return "∞" if math.isinf(x) else f"{x:.6g}"
    return str(x)


def verdict(a: Audit) -> str:
    """Two or three sentences a deployment reviewer can act on."""
    th = a.theorem
    gaps = a.gaps()
    lines = []
    if th.applicable:
        lines.append(f"Theorem 1 applies: after T = {th.handoffs:,} handoffs the expected squared "
                     f"error of the averaged iterate θ̄_T is at most {_fmt(th.bound)} (Δ_AIS, "
                     "Minkowski form, start law ν₀ included).")
    else:
        failed = [k for k, c in a.assumptions.items() if c.holds is not True]
        lines.append("Theorem 1 does NOT apply to this workflow as configured: "
                     + ", ".join(f"{k} ({a.assumptions[k].status})" for k in failed) + ". "
                     "The finite-sample guarantee cannot be claimed; the terms below that are "
                     "defined are still exact.")
        if "A6" in failed:
            lines.append("A6 failing means the projected SMDP Bellman operator is not shown to "
                         "contract under the behaviour policy's weighting"
                         + (" (with one-hot features κ² ≈ E[γ^{2τ}]·|J|); a less uniform "
                            "behaviour policy or fewer successors per observation lowers κ."
                            if a.features.kind == "tabular" else "."))
    lines.append(f"The interface costs at most {_fmt(gaps['statewise'])} in action value "
                 f"(state-wise bound; exact gap {_fmt(gaps['exact'])}); the greedy decentralized "
                 f"policy loses exactly {_fmt(a.loss_exact.value)} in the worst state (bound "
                 f"{_fmt(a.policy_loss_bound.value)}).")
    return " ".join(lines)


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def _figures(a: Audit) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs: dict[str, bytes] = {}
    gaps = a.gaps()
    fig, ax = plt.subplots(figsize=(6, 3))
    names = ["exact", "statewise", "value_aware", "paper"]
    ax.bar(names, [gaps[n] for n in names], color=["#4c72b0", "#55a868", "#c44e52", "#8172b2"])
    ax.set_ylabel("Δ (action-value gap)")
    ax.set_title("AIS gap: exact ≤ state-wise ≤ value-aware ≤ paper")
    figs["gaps"] = _png(fig)
    plt.close(fig)

    th = a.theorem
    fig, ax = plt.subplots(figsize=(6, 3.5))
    inp = th.inputs
    if th.applicable and inp["G"] is not None:
        Ts = np.unique(np.logspace(0, max(7.0, math.log10(th.handoffs) + 1), 60).astype(int))
        prof = a.mixing
        if a.model.n_states <= MIX_EXACT_MAX:  # exact τ_mix(α_T) along the whole curve
            a_min = S.evaluate(S.ALPHA_T, kappa=inp["kappa"], omega=inp["omega"], T=int(Ts[-1]))
            prof = mixing_profile(a.model, a_min, st=a.setting.stationary)
        for form, style in (("paper", "-"), ("statewise", "--"), ("exact", ":")):
            vals = []
            for T in Ts:
                alpha = S.evaluate(S.ALPHA_T, kappa=inp["kappa"], omega=inp["omega"], T=int(T))
                tau = prof.tau(alpha).tau
                vals.append(math.sqrt(S.evaluate(
                    S.BOUND, C_F=inp["C_F"], eps_approx=inp["eps_approx"], Delta=gaps[form],
                    G=inp["G"], tau=tau, T=int(T), kappa=inp["kappa"], omega=inp["omega"])))
            ax.loglog(Ts, vals, style, label=f"√bound, Δ = {form}")
        ax.axhline(gaps["exact"], color="k", lw=0.8, label="exact asymptote Δ_exact")
        ax.set_xlabel("handoffs T")
        ax.set_ylabel("error bound (‖·‖_μ)")
        ax.legend(fontsize=7)
        ax.set_title("Theorem 1 against T")
    else:
        ax.axis("off")
        ax.text(0.5, 0.5, "Theorem 1 does not apply:\nno finite-sample curve", ha="center",
                va="center")
    figs["bound"] = _png(fig)
    plt.close(fig)
    return figs


def _sections(a: Audit) -> dict[str, Any]:
    th = a.theorem
    j = a.to_json()
    f = j["features"]
    rows_terms = [["approximation 3C_F²ε_approx²", th.terms["approximation"]],
                  ["interface gap 3Δ²", th.terms["ais"]],
                  ["mixing residual (imported)", th.terms["mixing_residual"]],
                  ["bound", th.bound]]
    rows_numbers = [
        ["γ̄", j["gamma_bar"], "§1"], ["T_max", j["T_max"], "§1"], ["R̄", j["R_bar"], "§1"],
        ["ε (B1)", j["epsilon"], "§3"], [f"δ ({j['metric']}, B2)", j["delta"], "§3"],
        ["L_V", j["L_V"], "§3"], ["Δ_AIS", j["ais_gap"], "§3, Lemma A"],
        ["Δ_va", j["ais_gap_value_aware"], "§3, Lemma A"],
        ["state-wise", j["ais_gap_statewise"], "§3, Lemma A"],
        ["Δ_exact", j["ais_gap_exact"], "§3"],
        ["policy-loss bound", j["policy_loss_bound"], "§3, Lemma P"],
        ["exact policy loss", j["policy_loss_exact"], "§3"],
        ["t_mix = τ_mix(1/4)", j["tau_mix"], "§4"],
        ["ω (A5)", f["omega"], "§5"], ["κ (A6)", f["kappa"], "§5"],
        ["κ bounds", f"[{_fmt(f['kappa_lower'])}, {_fmt(f['kappa_upper'])}]", "§5"],
        ["ε_approx", f["epsilon_approx"], "§5"], ["C_F", f["C_F"], "§5, Lemma F"],
        ["pairs outside supp μ⊗π_b", f["outside_support"], "§5"],
    ]
    rows_assume = [[k, c.status, c.detail] for k, c in a.assumptions.items()]
    return {"terms": rows_terms, "numbers": rows_numbers, "assumptions": rows_assume}


def render_report(a: Audit, fmt: str, figure_names: dict[str, str] | None = None
                  ) -> tuple[str, dict[str, bytes]]:
    """``(text, figures)``: the report in ``fmt`` (``"md"`` or ``"html"``) and its PNGs."""
    figs = _figures(a)
    sec = _sections(a)
    sym = symbolic_summary()
    title = f"IC-Q audit: {a.model.name}"
    if fmt == "md":
        names = figure_names or {k: f"{k}.png" for k in figs}
        out = [f"# {title}", "", "## Verdict", "", verdict(a), "",
               "## Theorem 1: three-term decomposition", "",
               f"T = {a.theorem.handoffs:,} handoffs; {a.theorem.reason}", "",
               "| term | value |", "|---|---|"]
        out += [f"| {r[0]} | {_fmt(r[1])} |" for r in sec["terms"]]
        out += ["", f"![bound against T]({names['bound']})", "", "## Assumptions", "",
                "| assumption | status | detail |", "|---|---|---|"]
        out += [f"| {r[0]} | {r[1]} | {r[2]} |" for r in sec["assumptions"]]
        out += ["", "## Every number", "", "| quantity | value | docs/theory.md |", "|---|---|---|"]
        out += [f"| {r[0]} | {_fmt(r[1])} | {r[2]} |" for r in sec["numbers"]]
        out += ["", f"![AIS gaps]({names['gaps']})", "", "## The formula (sympy)", "",
                f"$$\\mathbb{{E}}\\|Q_{{\\bar\\theta_T}}\\circ\\sigma - Q^*\\|_\\mu^2 \\le "
                f"{sym['latex']}$$", ""]
        out += [f"- ${_TEX.get(k, k)} = {v}$" for k, v in sym["definitions"].items()]
        out += [f"- side conditions: {', '.join(f'${c}$' for c in sym['conditions'])}",
                f"- {IMPORTED}", ""]
        return "\n".join(out), figs
    if fmt != "html":
        raise ValueError(f"report format {fmt!r} is not 'md' or 'html'")

    def table(headers: list[str], rows: list[list[Any]]) -> str:
        h = "".join(f"<th>{html.escape(x)}</th>" for x in headers)
        b = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in r) + "</tr>"
                    for r in rows)
        return f"<table><tr>{h}</tr>{b}</table>"

    def img(name: str, alt: str) -> str:
        return (f'<img alt="{alt}" src="data:image/png;base64,'
                f'{base64.b64encode(figs[name]).decode()}">')

    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             "</title><style>body{font-family:sans-serif;max-width:60em;margin:auto}"
             "td,th{border:1px solid #ccc;padding:2px 6px}table{border-collapse:collapse}"
             "</style></head><body>",
             f"<h1>{html.escape(title)}</h1><h2>Verdict</h2><p>{html.escape(verdict(a))}</p>",
             "<h2>Theorem 1: three-term decomposition</h2>",
             f"<p>T = {a.theorem.handoffs:,} handoffs; {html.escape(a.theorem.reason)}</p>",
             table(["term", "value"], sec["terms"]), img("bound", "bound against T"),
             "<h2>Assumptions</h2>", table(["assumption", "status", "detail"],
                                           sec["assumptions"]),
             "<h2>Every number</h2>", table(["quantity", "value", "theory"], sec["numbers"]),
             img("gaps", "AIS gaps"), "<h2>The formula (sympy)</h2>",
             f"<pre>\\mathbb{{E}}\\|Q_{{\\bar\\theta_T}}\\circ\\sigma - Q^*\\|_\\mu^2 \\le "
             f"{html.escape(sym['latex'])}</pre><ul>"]
    parts += [f"<li><code>{html.escape(k)} = {html.escape(v)}</code></li>"
              for k, v in sym["definitions"].items()]
    parts += [f"<li>side conditions: {html.escape(', '.join(sym['conditions']))}</li>",
              f"<li>{html.escape(IMPORTED)}</li></ul></body></html>"]
    return "".join(parts), figs


def write_report(a: Audit, path: str | Path) -> list[Path]:
    """Write the report to ``path`` (``.md`` or ``.html``); returns every file written."""
    p = Path(path)
    fmt = {".md": "md", ".html": "html", ".htm": "html"}.get(p.suffix.lower())
    if fmt is None:
        raise ValueError(f"report: {str(p)!r} must end in .md or .html")
    names = {k: f"{p.stem}-{k}.png" for k in ("gaps", "bound")}
    text, figs = render_report(a, fmt, names)
    written = []
    if fmt == "md":
        for k, data in figs.items():
            fp = p.with_name(names[k])
            fp.write_bytes(data)
            written.append(fp)
    p.write_text(text, encoding="utf-8")
    written.append(p)
    return written
