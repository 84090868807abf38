"""The audit report, in Markdown or HTML, for a deployment reviewer (docs/theory.md §3–§6, §8).

:func:`report_document` takes the audit's document (:func:`icq.bounds.summary.audit_document`)
and draws its figures (:mod:`icq.report.figures`): learning curves when a Monte-Carlo
certificate is given, each bound against T, the per-state policy loss, the κ witness, the
what-if and the AIS gaps; one that does not apply is replaced by a sentence.
:func:`render_report` renders it to either format; :func:`write_report` writes it atomically.
Markdown reports write figures beside themselves (``<stem>-<name>.png``); HTML embeds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from icq.bounds.auditor import Audit
from icq.bounds.summary import FIGURES, audit_document
from icq.reference.common.document import Slot, render
from icq.reference.common.io import atomic_write
from icq.report.figures import (
    bound_figure,
    gaps_figure,
    kappa_figure,
    learning_figure,
    policy_loss_figure,
    whatif_figure,
)

__all__ = ["FIGURES", "render_report", "report_document", "write_report"]


def report_document(a: Audit, *, whatif: Any | None = None, certificate: Any | None = None
                    ) -> tuple[Any, ...]:
    """The report as document blocks: the audit's document with its figures drawn.

    Parameters
    ----------
    a : the audit
    whatif : an :class:`icq.bounds.whatif.WhatIf` (optional)
    certificate : a Monte-Carlo certificate result (duck-typed, see
        :func:`icq.report.figures.certificate_curves`; optional)
    """
    draw = {"kappa": lambda: kappa_figure(a.witness), "whatif": lambda: whatif_figure(whatif),
            "bound": lambda: bound_figure(a), "learning": lambda: learning_figure(certificate),
            "policy-loss": lambda: policy_loss_figure(a), "gaps": lambda: gaps_figure(a)}
    return tuple(draw[b.name]() if isinstance(b, Slot) else b
                 for b in audit_document(a, whatif=whatif))


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
