"""Named tables for notebooks and reports: cells, HTML tables and DataFrames.

Rows are named by (agent, observation, successor) or (state, successor), never by internal pair
order. :func:`frame` returns a pandas DataFrame when pandas is installed, else a list of dicts.

>>> fmt(None), fmt(float("inf")), fmt(0.1234567891), fmt(True)
('—', '∞', '0.123457', 'yes')
>>> html_table(["a"], [[1.5]])
'<table><tr><th>a</th></tr><tr><td>1.5</td></tr></table>'
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

__all__ = ["fields_html", "fmt", "frame", "html_table"]


def fmt(x: Any) -> str:
    """A cell: ``—`` for None, ``∞``, 6 significant digits, ``yes``/``no``."""
    if x is None:
        return "—"
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, float | np.floating):
        x = float(x)
        return ("∞" if x > 0 else "−∞") if math.isinf(x) else f"{x:.6g}"
    return str(x)


def html_table(headers: Any, rows: Any, tones: tuple[str, ...] = ()) -> str:
    """An HTML table (cells through :func:`fmt`, escaped); ``tones[i]`` classes row i."""
    h = "".join(f"<th>{html.escape(str(x))}</th>" for x in headers)
    body = []
    for i, r in enumerate(rows):
        tone = tones[i] if i < len(tones) else ""
        cls = f' class="{tone}"' if tone else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(fmt(c))}</td>" for c in r)
                    + "</tr>")
    return f"<table><tr>{h}</tr>{''.join(body)}</table>"


def fields_html(title: str, fields: dict[str, Any]) -> str:
    """A titled two-column table of named fields (a result's ``_repr_html_``)."""
    return f"<p><b>{html.escape(title)}</b></p>" + html_table(
        ["field", "value"], [[k, v] for k, v in fields.items()])


def frame(records: list[dict[str, Any]], index: list[str] | None = None) -> Any:
    """A pandas DataFrame of ``records`` (indexed by ``index``) when pandas is installed, else
    the records."""
    try:
        # pandas: optional (the [test] extra); without it the records are returned
        import pandas as pd
    except ImportError:
        return records
    df = pd.DataFrame(records)
    return df.set_index(index) if index else df
