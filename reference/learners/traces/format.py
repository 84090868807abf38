"""The trace format ``icq-trace/1`` (docs/traces.md): its JSON Schema, the rules of one line
(:func:`check_line`), the validated :class:`Line`, and reading and writing trace files.

>>> check_line({"episode": 1, "t": 0})
('agent', 'required field is missing')
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from icq.reference.common.io import atomic_write, dumps
from icq.reference.model import END, ModelError
from icq.reference.model.parse import MAX_DURATION, MAX_NAME, MAX_VALUE, parse_checked

__all__ = ["MAX_PROBLEMS", "TRACE_FORMAT", "Line", "check_line", "lines_from_dicts",
           "read_traces", "schema", "write_traces"]

TRACE_FORMAT = "icq-trace/1"
#: at most this many problems are listed before reading stops
MAX_PROBLEMS = 20

_REQUIRED = ("episode", "t", "agent", "obs", "successor", "duration", "reward", "next_agent",
             "next_obs")
_OPTIONAL = ("latent", "next_latent", "behavior_prob")
_REQ = frozenset(_REQUIRED)
_NAME = f"a non-empty string of at most {MAX_NAME} characters"
_KNOWN = frozenset(_REQUIRED + _OPTIONAL)


def schema() -> dict[str, Any]:
    """The JSON Schema of one trace line (package data ``icq/schema/icq-trace-1.schema.json``)."""
    path = resources.files("icq").joinpath("schema", "icq-trace-1.schema.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_name(v: Any) -> bool:
    return type(v) is str and v != "" and len(v) <= MAX_NAME


def _show(v: Any) -> str:
    """``repr(v)``, shortened: a message never repeats a huge value whole."""
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def check_line(d: Any) -> tuple[str, str] | None:  # noqa: C901 - one rule per field
    """The first rule of docs/traces.md that the decoded line ``d`` breaks, as
    ``(field, message)``, or None. Agrees with :func:`schema` on the per-field rules and adds
    the rules that relate fields (END, the successor's name, latent labels)."""
    if not isinstance(d, dict):
        return "line", "expected a JSON object"
    keys = d.keys()
    if not _REQ <= keys:
        return next(k for k in _REQUIRED if k not in d), "required field is missing"
    extra = keys - _KNOWN
    for k in sorted(extra):
        if not k.startswith("x-"):
            return k, "unknown field (extensions must start with 'x-')"
    ep = d["episode"]
    if not (_is_name(ep) or _is_int(ep)) or (_is_int(ep) and abs(ep) > MAX_DURATION):
        return "episode", f"{_show(ep)} is not {_NAME} or an integer of magnitude <= 2**53"
    if not _is_int(d["t"]) or not 0 <= d["t"] <= MAX_DURATION:
        return "t", f"{_show(d['t'])} is not an integer in [0, 2**53]"
    for k in ("agent", "obs"):
        if not _is_name(d[k]):
            return k, f"{_show(d[k])} is not {_NAME}"
    if d["agent"] == END:
        return "agent", "'END' is reserved for the end of the workflow"
    if not _is_name(d["successor"]):
        return "successor", f"{_show(d['successor'])} is not {_NAME}"
    dur = d["duration"]
    if not _is_int(dur) or not 1 <= dur <= MAX_DURATION:
        return "duration", f"{_show(dur)} is not an integer in [1, 2**53] (the model format's cap)"
    r = d["reward"]
    if not _is_num(r) or not math.isfinite(r) or abs(r) > MAX_VALUE:
        return "reward", f"{_show(r)} is not a finite number of magnitude <= {MAX_VALUE:g}"
    na, no = d["next_agent"], d["next_obs"]
    if na is not None and not _is_name(na):
        return "next_agent", f"{_show(na)} is not {_NAME} or null"
    if no is not None and not _is_name(no):
        return "next_obs", f"{_show(no)} is not {_NAME} or null"
    if "latent" in d and not _is_name(d["latent"]):
        return "latent", f"{_show(d['latent'])} is not {_NAME}"
    if "next_latent" in d and d["next_latent"] is not None and not _is_name(d["next_latent"]):
        return "next_latent", f"{_show(d['next_latent'])} is not {_NAME} or null"
    if "behavior_prob" in d:
        p = d["behavior_prob"]
        if not _is_num(p) or not 0.0 < p <= 1.0:
            return "behavior_prob", f"{_show(p)} is not a number in (0, 1]"
    # rules that relate fields
    if d["successor"] == d["agent"]:
        return "successor", "equals the acting agent (not allowed)"
    if (na is None) != (no is None):
        return ("next_obs" if na is None else "next_agent"), \
            "next_agent and next_obs are both null (the episode ended) or both given"
    if d["successor"] == END and na is not None:
        return "next_agent", "must be null when the successor is END"
    if na is not None and na != d["successor"]:
        return "next_agent", f"{_show(na)} differs from the successor {_show(d['successor'])}"
    if "latent" in d and na is not None and d.get("next_latent") is None:
        return "next_latent", "required (non-null) with 'latent' unless the episode ended"
    if d.get("next_latent") is not None and na is None:
        return "next_latent", "must be null when the episode ended"
    if "next_latent" in d and "latent" not in d:
        return "next_latent", "given without 'latent'"
    return None


class Line(NamedTuple):
    """One validated handoff: ``(episode, t, (agent, obs, latent), successor, τ, R, next)``;
    ``next`` is None at an episode end, else ``(agent, obs, latent)``; ``latent`` is None when
    the line has none."""

    episode: Any
    t: int
    state: tuple[str, str, str | None]
    successor: str
    duration: int
    reward: float
    next: tuple[str, str, str | None] | None
    behavior_prob: float | None


def _to_line(d: dict[str, Any]) -> Line:
    nxt = None if d["next_agent"] is None else (d["next_agent"], d["next_obs"],
                                                d.get("next_latent"))
    return Line(d["episode"], d["t"], (d["agent"], d["obs"], d.get("latent")), d["successor"],
                d["duration"], float(d["reward"]), nxt, d.get("behavior_prob"))


def _schema_message(d: Any) -> tuple[str, str] | None:
    """The JSON Schema's own message for ``d`` (only on lines that already failed)."""
    # jsonschema: only for a line that already failed the fast checks
    import jsonschema

    err = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema()).iter_errors(d))
    if err is None:
        return None
    where = ".".join(str(p) for p in err.absolute_path) or "line"
    return where[:80], err.message if len(err.message) <= 200 else err.message[:197] + "..."


class _Order:
    """The rule that ``t`` increases within an episode: remembers each episode's last ``t`` and
    the line that gave it."""

    def __init__(self) -> None:
        self.last: dict[Any, tuple[int, int]] = {}

    def problem(self, d: dict[str, Any], lineno: int) -> str | None:
        ep, t = d["episode"], d["t"]
        before = self.last.get(ep)
        self.last[ep] = (t, lineno)
        if before is not None and t <= before[0]:
            return (f"line {lineno}: t: {t} is not after t = {before[0]} on line {before[1]} of "
                    f"episode {_show(ep)} (rule: t increases within an episode, docs/traces.md)")
        return None


def read_traces(path: str | Path, *, digest: list | None = None) -> Iterator[Line]:
    """Stream the validated lines of a trace file (blank lines skipped; ``"-"``: standard
    input).

    Each line is read by the model file's JSON reader
    (:func:`~icq.reference.model.parse.parse_checked`: UTF-8, valid Unicode, nesting, duplicate
    keys, integers beyond 20 digits read as doubles), then checked by :func:`check_line`, and
    ``t`` must increase within an episode. Problems are collected (up to
    :data:`MAX_PROBLEMS`) and raised together at the end as a
    :class:`~icq.reference.model.ModelError`, one ``line N: field: message`` each. With
    ``digest`` (a list), the file's SHA-256 is appended to it once the file is read.
    """
    problems: list[str] = []
    order = _Order()
    h = hashlib.sha256()
    if str(path) == "-":
        path, opened = "<stdin>", contextlib.nullcontext(sys.stdin.buffer)
    else:
        path = Path(path)
        try:
            opened = path.open("rb")
        except OSError as exc:
            raise ModelError([f"{path}: cannot read file: {exc.strerror or exc}"]) from None
    with opened as fh:
        for lineno, raw in enumerate(fh, 1):
            h.update(raw)
            if not raw.strip():
                continue
            try:
                d = parse_checked(raw, f"{path}: line {lineno}")
            except ModelError as exc:
                problems += exc.problems[:1]
            else:
                bad = check_line(d)
                if bad is None:
                    late = order.problem(d, lineno)
                    if late is None:
                        if not problems:
                            yield _to_line(d)
                        continue
                    problems.append(f"{path}: {late}")
                else:
                    field_, msg = _schema_message(d) or bad
                    problems.append(f"{path}: line {lineno}: {field_}: {msg}")
            if len(problems) >= MAX_PROBLEMS:
                problems.append(f"{path}: stopped after {MAX_PROBLEMS} problems")
                break
    if problems:
        raise ModelError(problems)
    if digest is not None:
        digest.append(h.hexdigest())


def lines_from_dicts(docs: Iterable[dict[str, Any]]) -> Iterator[Line]:
    """Validate decoded lines (e.g. from :func:`simulate_traces`); ModelError on the first bad
    one, naming its index (1-based) and field."""
    order = _Order()
    for i, d in enumerate(docs, 1):
        bad = check_line(d)
        if bad is not None:
            raise ModelError([f"line {i}: {bad[0]}: {bad[1]}"])
        late = order.problem(d, i)
        if late is not None:
            raise ModelError([late])
        yield _to_line(d)


def write_traces(path: str | Path, lines: Iterable[dict[str, Any]]) -> int:
    """Write lines as JSON Lines, atomically, by the one JSON convention
    (:func:`icq.reference.common.io.dumps`: ±∞ as ±1e999); returns the number written."""
    n = 0
    with atomic_write(path) as fh:
        for d in lines:
            fh.write(dumps(d, separators=(",", ":")) + "\n")
            n += 1
    return n
