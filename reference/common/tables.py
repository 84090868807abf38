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

from icq.reference.model import EpochModel

__all__ = ["fields_html", "fmt", "frame", "html_table", "solution_frame"]


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
        import pandas as pd
    except ImportError:
        return records
    df = pd.DataFrame(records)
    return df.set_index(index) if index else df


def solution_frame(model: EpochModel, sol: Any, level: str = "latent") -> Any:
    """A solution's Q-values with named rows: ``level="latent"`` (pairs of ``model.latent``:
    state, agent, observation, successor) or ``"observation"`` (the AIS model's pairs: agent,
    observation, successor), with a ``greedy`` column."""
    greedy = np.zeros(len(sol.q), dtype=bool)
    greedy[np.asarray(sol.policy)] = True
    if level == "latent":
        recs = [{"state": model.state_ids[y], "agent": model.agents[model.state_agent[y]],
                 "observation": model.obs_labels[model.state_obs[y]],
                 "successor": model.successor_name(int(j)), "Q": float(q), "greedy": bool(g)}
                for y, j, q, g in zip(model.pair_state, model.pair_succ, sol.q, greedy,
                                      strict=True)]
        return frame(recs, ["state", "successor"])
    if level == "observation":
        recs = [{"agent": model.agents[model.obs_agent[o]], "observation": model.obs_labels[o],
                 "successor": model.successor_name(int(j)), "Q": float(q), "greedy": bool(g)}
                for o, j, q, g in zip(model.obs_pair_obs, model.obs_succ, sol.q, greedy,
                                      strict=True)]
        return frame(recs, ["agent", "observation", "successor"])
    raise ValueError(f"level: {level!r} is not 'latent' or 'observation'")
