"""One document model for reports, rendered to Markdown or HTML (the audit report:
docs/theory.md §3–§6).

A document is a tuple of blocks (:class:`Heading`, :class:`Para`, :class:`Table`,
:class:`Figure`, :class:`Omitted`, :class:`Math`, :class:`Items`, and :class:`Slot`, a place
kept for a figure that an upper layer draws); :func:`render` walks it once
and a small writer per format turns each block into text. Math is LaTeX in the model: Markdown
keeps it between ``$…$``/``$$…$$``; HTML gets MathML from ``latex2mathml`` (offline, no script).
Tones mark what a reviewer must see: ``"fail"`` (red), ``"ok"`` (green), ``"warn"``.

>>> doc = (Heading("T", 1), Para("A6 fails", tone="fail"), Math(r"\\kappa < 1"))
>>> "<math" in render(doc, "html")[0] and "$$\\\\kappa < 1$$" in render(doc, "md")[0]
True
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import Any

from icq.reference.common.tables import fmt, html_table

__all__ = ["Figure", "Heading", "Items", "Math", "Omitted", "Para", "Slot", "Table", "fmt",
           "render", "html_table"]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    """A paragraph; ``tone`` ``"fail"``/``"ok"``/``"warn"`` highlights it."""

    text: str
    tone: str = ""


@dataclass(frozen=True)
class Math:
    """LaTeX, displayed (``display``) or inline inside :class:`Items`."""

    latex: str
    display: bool = True


@dataclass(frozen=True)
class Items:
    """A bullet list; each item is a tuple of text and inline :class:`Math` pieces."""

    items: tuple[tuple[str | Math, ...], ...]


@dataclass(frozen=True)
class Table:
    """A table; ``tones[i]`` highlights row i (``""`` for none)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    tones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figure:
    """A PNG figure with its file name (Markdown), alternative text and caption."""

    name: str
    png: bytes
    alt: str
    caption: str


@dataclass(frozen=True)
class Omitted:
    """A figure that does not apply, replaced by the sentence saying why (never a blank image)."""

    name: str
    sentence: str


@dataclass(frozen=True)
class Slot:
    """Where the figure ``name`` goes: a layer that draws figures fills it (with a
    :class:`Figure` or an :class:`Omitted`) before rendering; :func:`render` refuses it."""

    name: str


def _mathml(latex: str, display: bool) -> str:
    # latex2mathml: the [report] extra, only for MathML output
    from latex2mathml.converter import convert

    return convert(latex, display="block" if display else "inline")


class _Markdown:
    def heading(self, b: Heading) -> str:
        return f"{'#' * b.level} {b.text}\n"

    def para(self, b: Para) -> str:
        mark = {"fail": "> **✗** ", "ok": "> **✓** ", "warn": "> **!** "}.get(b.tone, "")
        return f"{mark}{b.text}\n"

    def math(self, b: Math) -> str:
        return f"$${b.latex}$$\n" if b.display else f"${b.latex}$"

    def items(self, b: Items) -> str:
        return "".join("- " + "".join(p if isinstance(p, str) else self.math(p) for p in it)
                       + "\n" for it in b.items)

    def table(self, b: Table) -> str:
        out = ["| " + " | ".join(h.replace("|", "\\|") for h in b.headers) + " |",
               "|" + "---|" * len(b.headers)]
        for i, r in enumerate(b.rows):
            tone = b.tones[i] if i < len(b.tones) else ""
            cells = [fmt(c).replace("|", "\\|") for c in r]
            if tone == "fail":
                cells = [f"**{c}**" for c in cells]
            out.append("| " + " | ".join(cells) + " |")
        return "\n".join(out) + "\n"

    def figure(self, b: Figure, names: dict[str, str]) -> str:
        return f"![{b.alt}]({names.get(b.name, b.name + '.png')})\n\n*{b.caption}*\n"

    def omitted(self, b: Omitted) -> str:
        return f"*Figure omitted: {b.sentence}*\n"

    def wrap(self, title: str, body: list[str]) -> str:
        return "\n".join(body)


_CSS = ("body{font-family:sans-serif;max-width:62em;margin:auto;padding:0 1em;line-height:1.4}"
        "td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}"
        "table{border-collapse:collapse;margin:.5em 0}"
        ".fail{background:#fde2e1;border-left:6px solid #c0392b;padding:.4em .8em}"
        ".ok{background:#e3f6e8;border-left:6px solid #1e8449;padding:.4em .8em}"
        ".warn{background:#fff4d6;border-left:6px solid #b9770e;padding:.4em .8em}"
        "tr.fail td{background:#fde2e1;font-weight:bold}"
        "figure{margin:1em 0}img{max-width:100%}figcaption{font-size:90%;color:#444}"
        ".math{overflow-x:auto;max-width:100%}.omitted{font-style:italic;color:#555}")


class _Html:
    def heading(self, b: Heading) -> str:
        return f"<h{b.level}>{html.escape(b.text)}</h{b.level}>"

    def para(self, b: Para) -> str:
        cls = f' class="{b.tone}"' if b.tone else ""
        return f"<p{cls}>{html.escape(b.text)}</p>"

    def math(self, b: Math) -> str:
        ml = _mathml(b.latex, b.display)
        return f'<div class="math">{ml}</div>' if b.display else ml

    def items(self, b: Items) -> str:
        lis = "".join("<li>" + "".join(html.escape(p) if isinstance(p, str) else self.math(p)
                                       for p in it) + "</li>" for it in b.items)
        return f"<ul>{lis}</ul>"

    def table(self, b: Table) -> str:
        return html_table(b.headers, b.rows, b.tones)

    def figure(self, b: Figure, names: dict[str, str]) -> str:
        data = base64.b64encode(b.png).decode()
        return (f'<figure id="fig-{b.name}"><img alt="{html.escape(b.alt)}" '
                f'src="data:image/png;base64,{data}"><figcaption>{html.escape(b.caption)}'
                "</figcaption></figure>")

    def omitted(self, b: Omitted) -> str:
        return (f'<p class="omitted" id="fig-{b.name}">Figure omitted: '
                f"{html.escape(b.sentence)}</p>")

    def wrap(self, title: str, body: list[str]) -> str:
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
                f"</title><style>{_CSS}</style></head><body>{''.join(body)}</body></html>")


def render(doc: tuple[Any, ...], fmt_: str, title: str = "", names: dict[str, str] | None = None
           ) -> tuple[str, dict[str, bytes]]:
    """``(text, figures)``: ``doc`` as ``"md"`` or ``"html"``, and the PNG of each figure."""
    w = {"md": _Markdown, "html": _Html}.get(fmt_)
    if w is None:
        raise ValueError(f"report format {fmt_!r} is not 'md' or 'html'")
    writer = w()
    names = names or {}
    body, figs = [], {}
    for b in doc:
        if isinstance(b, Figure):
            figs[b.name] = b.png
            body.append(writer.figure(b, names))
        elif isinstance(b, Slot):
            raise ValueError(f"figure slot {b.name!r} was not filled before rendering")
        else:
            kind = {Heading: "heading", Para: "para", Math: "math", Items: "items",
                    Table: "table", Omitted: "omitted"}[type(b)]
            body.append(getattr(writer, kind)(b))
    return writer.wrap(title, body), figs
