"""The epoch-level IC-SMDP, array-backed (docs/theory.md §1; FORMAT.md ``icsmdp-epoch/1``).

An IC-SMDP seen at its decision epochs (handoff times) has

- latent epoch states ``y = 0..n-1``; agent ``i(y)`` is active at ``y`` and observes
  ``σ(y) = ô``, an index into the disjoint union of all agents' observations ``0..n_obs-1``;
- successors ``j``: agent indices ``0..N-1`` and ``END = N``; the admissible set ``J(ô)``
  depends on the observation only (Assumption 1(iii));
- for every pair ``(y, j)`` with ``j ∈ J(σ(y))`` the joint law of one invocation's outcome
  ``(τ, R, y')`` (``y' = -1`` when the episode ends), from which

  ``r̄(y,j) = E[R | y,j]`` and ``K(y'|y,j) = E[γ^τ 1{Y'=y'} | y,j]`` (sub-stochastic),
  ``γ̄ = max_{y,j} Σ_{y'} K(y'|y,j)``, ``T_max = max τ``, ``R̄ = max |R|``.

Pairs are stored contiguously per state (``pair_ptr[y]:pair_ptr[y+1]``) in the order of
``J(σ(y))``; observation pairs ``(ô, j)`` likewise (``obs_ptr``), so that latent pair ``k``
and its observation pair ``pair_obs_pair[k]`` name the same successor. Kernels are
``scipy.sparse`` CSR matrices; nothing on a hot path is a Python dict.

Examples
--------
>>> from icq.reference.model import load, example_path
>>> m = load(example_path("ring-exact"))
>>> m.n_states, m.n_obs, m.n_pairs, m.T_max
(3, 3, 4, 3)
>>> round(float(m.gamma_bar), 6)
0.9
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

FORMAT = "icsmdp-epoch/1"
END = "END"
PROB_TOL = 1e-9

__all__ = [
    "END",
    "EXTENSIONS",
    "FORMAT",
    "MAX_DEPTH",
    "MAX_DURATION",
    "MAX_VALUE",
    "EpochModel",
    "ModelError",
    "SMDP",
    "example_path",
    "from_arrays",
    "from_dict",
    "load",
    "parse",
    "schema_path",
    "structure_problems",
]


class ModelError(ValueError):
    """A model file or dict that breaks FORMAT.md; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# ---------------------------------------------------------------------------------------
# The SMDP in sufficient statistics (used for both the latent and the AIS-induced model)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SMDP:
    """A finite SMDP given by its sufficient statistics (docs/theory.md §1).

    Rows are state–successor pairs: the pairs of state ``x`` are ``ptr[x]:ptr[x+1]``.

    Attributes
    ----------
    ptr : (n+1,) int64
    succ : (n_pairs,) int64, successor index of each pair (``N`` = END)
    reward : (n_pairs,) float64, ``r̄``
    K : (n_pairs, n) CSR float64, the discounted continuation kernel
    """

    ptr: np.ndarray
    succ: np.ndarray
    reward: np.ndarray
    K: sp.csr_matrix

    @property
    def n(self) -> int:
        return len(self.ptr) - 1

    @property
    def n_pairs(self) -> int:
        return len(self.succ)

    @cached_property
    def pair_state(self) -> np.ndarray:
        """(n_pairs,) the state of each pair."""
        return np.repeat(np.arange(self.n), np.diff(self.ptr))

    @cached_property
    def gamma_bar(self) -> float:
        """``γ̄ = max_pairs Σ_{x'} K`` (docs/theory.md §1)."""
        return float(np.asarray(self.K.sum(axis=1)).max(initial=0.0))

    def vmax(self, q: np.ndarray) -> np.ndarray:
        """``V(x) = max_{j ∈ J(x)} q(x, j)`` for ``q`` of shape (n_pairs,) or (n_pairs, B)."""
        return np.maximum.reduceat(q, self.ptr[:-1], axis=0)

    def argmax(self, q: np.ndarray) -> np.ndarray:
        """(n,) the greedy pair index of each state (first maximiser, ties to the lowest)."""
        v = self.vmax(q)
        is_max = q >= np.repeat(v, np.diff(self.ptr))
        idx = np.flatnonzero(is_max)
        first = np.searchsorted(idx, self.ptr[:-1])
        return idx[first]

    def bellman(self, q: np.ndarray) -> np.ndarray:
        """Bellman optimality operator ``(Tq)(x,j) = r̄ + Σ K(x'|x,j) max_{j'} q(x',j')``."""
        return self.reward + self.K @ self.vmax(q)

    def policy_matrix(self, pi: np.ndarray) -> sp.csr_matrix:
        """(n, n_pairs) CSR, row ``x`` holds ``π(j|x)`` on the pairs of ``x``."""
        return sp.csr_matrix((np.asarray(pi, dtype=float), np.arange(self.n_pairs), self.ptr),
                             shape=(self.n, self.n_pairs))


# ---------------------------------------------------------------------------------------
# The epoch model
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EpochModel:
    """A validated epoch-level IC-SMDP (see the module docstring for the notation).

    Build it with :func:`load` or :func:`from_dict`; the arrays are read-only views of the
    file, indexed by integers.
    """

    name: str
    gamma: float
    agents: tuple[str, ...]
    state_ids: tuple[str, ...]
    state_agent: np.ndarray  # (n,) int64
    state_obs: np.ndarray  # (n,) int64, σ(y)
    obs_agent: np.ndarray  # (n_obs,) int64
    obs_labels: tuple[str, ...]  # (n_obs,)
    obs_ptr: np.ndarray  # (n_obs+1,) int64
    obs_succ: np.ndarray  # (n_obs_pairs,) int64
    initial: np.ndarray  # (n,) float64, ν₀
    behavior: np.ndarray  # (n_obs_pairs,) float64, π_b(j|ô)
    pair_ptr: np.ndarray  # (n+1,) int64
    pair_obs_pair: np.ndarray  # (n_pairs,) int64
    out_ptr: np.ndarray  # (n_pairs+1,) int64
    out_prob: np.ndarray  # (n_out,) float64
    out_dur: np.ndarray  # (n_out,) int64
    out_rew: np.ndarray  # (n_out,) float64
    out_next: np.ndarray  # (n_out,) int64, -1 = episode ends
    source: dict[str, Any] = field(repr=False, default_factory=dict)

    # -- sizes ---------------------------------------------------------------------------
    @property
    def n_agents(self) -> int:
        return len(self.agents)

    @property
    def END(self) -> int:  # noqa: N802 - the successor index of END
        return len(self.agents)

    @property
    def n_states(self) -> int:
        return len(self.state_ids)

    @property
    def n_obs(self) -> int:
        return len(self.obs_labels)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_obs_pair)

    @property
    def n_obs_pairs(self) -> int:
        return len(self.obs_succ)

    def successor_name(self, j: int) -> str:
        return END if j == self.END else self.agents[j]

    # -- derived arrays --------------------------------------------------------------------
    @cached_property
    def pair_state(self) -> np.ndarray:
        """(n_pairs,) the latent state ``y`` of each pair."""
        return np.repeat(np.arange(self.n_states), np.diff(self.pair_ptr))

    @cached_property
    def pair_succ(self) -> np.ndarray:
        """(n_pairs,) the successor ``j`` of each pair."""
        return self.obs_succ[self.pair_obs_pair]

    @cached_property
    def obs_pair_obs(self) -> np.ndarray:
        """(n_obs_pairs,) the observation ``ô`` of each observation pair."""
        return np.repeat(np.arange(self.n_obs), np.diff(self.obs_ptr))

    @cached_property
    def out_pair(self) -> np.ndarray:
        """(n_out,) the pair each outcome belongs to."""
        return np.repeat(np.arange(self.n_pairs), np.diff(self.out_ptr))

    @cached_property
    def reward(self) -> np.ndarray:
        """(n_pairs,) ``r̄(y,j) = Σ prob·reward``."""
        return np.bincount(self.out_pair, self.out_prob * self.out_rew, minlength=self.n_pairs)

    def _continuation(self, weight: np.ndarray) -> sp.csr_matrix:
        cont = self.out_next >= 0
        return sp.csr_matrix(
            (weight[cont], (self.out_pair[cont], self.out_next[cont])),
            shape=(self.n_pairs, self.n_states),
        )

    @cached_property
    def K(self) -> sp.csr_matrix:  # noqa: N802
        """(n_pairs, n) CSR ``K(y'|y,j) = Σ prob·γ^τ·1{next=y'}``."""
        return self._continuation(self.out_prob * self.gamma ** self.out_dur.astype(float))

    @cached_property
    def K2(self) -> sp.csr_matrix:  # noqa: N802
        """(n_pairs, n) CSR ``E[γ^{2τ} 1{Y'=y'} | y,j]`` (for A6, docs/theory.md §5)."""
        return self._continuation(self.out_prob * self.gamma ** (2.0 * self.out_dur))

    @cached_property
    def P(self) -> sp.csr_matrix:  # noqa: N802
        """(n_pairs, n) CSR ``P(Y'=y' | y,j)`` (undiscounted)."""
        return self._continuation(self.out_prob)

    @cached_property
    def p_end(self) -> np.ndarray:
        """(n_pairs,) probability that the episode ends during the invocation."""
        return np.bincount(self.out_pair, self.out_prob * (self.out_next < 0),
                           minlength=self.n_pairs)

    @cached_property
    def latent(self) -> SMDP:
        """The latent decision-epoch SMDP (the centralized oracle's model)."""
        return SMDP(self.pair_ptr, self.pair_succ, self.reward, self.K)

    @cached_property
    def gamma_bar(self) -> float:
        """``γ̄`` (docs/theory.md §1)."""
        return self.latent.gamma_bar

    @cached_property
    def T_max(self) -> int:  # noqa: N802
        return int(self.out_dur.max())

    @cached_property
    def R_bar(self) -> float:  # noqa: N802
        return float(np.abs(self.out_rew).max())

    @cached_property
    def expected_duration(self) -> float:
        """``E[τ]`` under the behaviour chain's stationary law (§4), per handoff."""
        from icq.reference.exact.chain import stationary

        mu = stationary(self).mu
        pair_w = mu[self.pair_state] * self.behavior[self.pair_obs_pair]
        tau = np.bincount(self.out_pair, self.out_prob * self.out_dur, minlength=self.n_pairs)
        return float(pair_w @ tau)

    @cached_property
    def obs_states(self) -> sp.csr_matrix:
        """(n, n_obs) CSR indicator ``1{σ(y) = ô}``."""
        return sp.csr_matrix((np.ones(self.n_states), (np.arange(self.n_states), self.state_obs)),
                             shape=(self.n_states, self.n_obs))

    def obs_name(self, o: int) -> tuple[str, str]:
        return self.agents[self.obs_agent[o]], self.obs_labels[o]

    def lift(self, obs_pair_values: np.ndarray) -> np.ndarray:
        """Compose a function of ``(ô, j)`` with σ: ``(y, j) ↦ f(σ(y), j)``."""
        return np.asarray(obs_pair_values)[self.pair_obs_pair]

    # -- round trip --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The model as an ``icsmdp-epoch/1`` document (loads back to an equal model)."""
        ids = self.state_ids
        succ = {}
        behavior = {}
        for o in range(self.n_obs):
            a, label = self.obs_name(o)
            sl = slice(self.obs_ptr[o], self.obs_ptr[o + 1])
            names = [self.successor_name(j) for j in self.obs_succ[sl]]
            succ.setdefault(a, {})[label] = names
            behavior.setdefault(a, {})[label] = {
                nm: float(p) for nm, p in zip(names, self.behavior[sl], strict=True)}
        transitions = []
        for k in range(self.n_pairs):
            y = self.pair_state[k]
            sl = slice(self.out_ptr[k], self.out_ptr[k + 1])
            transitions.append({
                "state": ids[y],
                "successor": self.successor_name(self.pair_succ[k]),
                "outcomes": [
                    {"prob": float(p), "duration": int(d), "reward": float(r),
                     "next": None if nx < 0 else ids[nx]}
                    for p, d, r, nx in zip(self.out_prob[sl], self.out_dur[sl],
                                           self.out_rew[sl], self.out_next[sl], strict=True)
                ],
            })
        return {
            "format": FORMAT,
            "name": self.name,
            "gamma": self.gamma,
            "agents": list(self.agents),
            "states": [{"id": ids[y], "agent": self.agents[self.state_agent[y]],
                        "obs": self.obs_labels[self.state_obs[y]]} for y in range(self.n_states)],
            "initial": {ids[y]: float(p) for y, p in enumerate(self.initial) if p > 0},
            "successors": succ,
            "transitions": transitions,
            "behavior": behavior,
        }

    def replace_arrays(self, **arrays: np.ndarray) -> EpochModel:
        """A model with the same structure and some of ``out_prob``, ``out_rew``, ``initial``,
        ``behavior`` or ``gamma`` replaced (validated again)."""
        doc_model = EpochModel(**{**{f: getattr(self, f) for f in self.__dataclass_fields__},
                                  **arrays})
        return from_dict(doc_model.to_dict())


# ---------------------------------------------------------------------------------------
# Loading and validation (docs/format.md, "What the loader refuses")
# ---------------------------------------------------------------------------------------

#: the largest duration τ a file may state: 2**53, the largest integer up to which every
#: integer is exactly a double, so the value is read the same by every JSON parser and
#: survives the float arrays of the model (γ^τ underflows to 0 long before it)
MAX_DURATION = 2**53
#: the largest |reward|/(1 − γ̄) a file may imply: it bounds every value function (|Q*| ≤
#: R̄/(1 − γ̄), docs/theory.md §1), which must be a finite double with room for sums
MAX_VALUE = 1e300
#: the deepest nesting of arrays and objects a file may have (the format itself needs 5)
MAX_DEPTH = 64
#: the top-level field for user metadata, kept in ``EpochModel.source`` and ignored by the tools
EXTENSIONS = "extensions"
_SCHEMA_FILE = "icsmdp-epoch-1.schema.json"


def example_path(name: str) -> Path:
    """Path of a bundled example (``ring-exact``, ``author-reviewer-editor``)."""
    return Path(str(resources.files("icq").joinpath("examples", f"{name}.json")))


def schema_path() -> Path:
    """Path of the shipped JSON Schema of ``icsmdp-epoch/1`` (docs/format.md)."""
    return Path(str(resources.files("icq").joinpath("schema", _SCHEMA_FILE)))


class _Object(dict):
    """A JSON object that remembers the keys it saw twice (``dups``)."""

    dups: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    out = _Object(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        out.dups = tuple(dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


def _parse_int(text: str) -> int | float:
    # integers too long for int() (and any beyond 2**64) are read as doubles (possibly ±∞):
    # the semantic rules then refuse them as out of range or not finite, naming the field
    return int(text) if len(text) <= 20 else float(text)


def _decode(data: bytes, where: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) >= 2 and b"\x00" in data[:4]):
        raise ModelError([f"{where}: encoding: the file is UTF-16 or UTF-32; icsmdp-epoch/1 "
                          "files are UTF-8 (rule: docs/format.md, Encoding)"])
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark is ignored (RFC 8259 §8.1)
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelError([f"{where}: encoding: byte 0x{data[exc.start]:02x} at offset "
                          f"{exc.start} is not UTF-8 (rule: icsmdp-epoch/1 files are UTF-8)"]
                         ) from None


def parse(data: bytes | str, where: str = "input") -> Any:
    """Decode and parse one ``icsmdp-epoch/1`` text into plain JSON values (not yet validated).

    Raises
    ------
    ModelError
        One line naming ``where`` and the rule: bad encoding, invalid JSON, nesting too deep.
    """
    text = _decode(data, where) if isinstance(data, bytes) else data
    try:
        return json.loads(text, object_pairs_hook=_object_pairs, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise ModelError([f"{where}: not valid JSON: line {exc.lineno} column {exc.colno}: "
                          f"{exc.msg}"]) from None
    except RecursionError:
        raise ModelError([f"{where}: nesting: arrays and objects nested too deep "
                          f"(rule: at most {MAX_DEPTH} levels)"]) from None


def load(path: str | Path) -> EpochModel:
    """Read and validate an ``icsmdp-epoch/1`` JSON file (``"-"``: standard input).

    The text must be UTF-8 (a byte order mark is ignored); the document is checked against the
    shipped JSON Schema (:func:`schema_path`), then against the semantic rules (:func:`from_dict`).

    Raises
    ------
    ModelError
        With one readable line per problem (field, state, value and rule).
    """
    if str(path) == "-":
        import sys

        where, data = "<stdin>", sys.stdin.buffer.read()
    else:
        where = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ModelError([f"{where}: cannot read file: {exc.strerror or exc}"]) from None
    return from_dict(parse(data, where))


def _short(v: Any, limit: int = 60) -> str:
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "an array"
    r = repr(v)
    return r if len(r) <= limit else r[:limit - 3] + "..."


def did_you_mean(word: str, choices: Any) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` (difflib), else ``""``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _where_path(doc: Any, path: list[Any]) -> str:
    """``transitions[0].outcomes[1].prob (state 'a', successor 'b')`` for a schema path."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    if len(path) >= 2 and path[0] in ("states", "transitions") and isinstance(path[1], int):
        item = doc[path[0]][path[1]]
        if isinstance(item, dict):
            if path[0] == "states" and isinstance(item.get("id"), str):
                text += f" (state {item['id']!r})"
            elif isinstance(item.get("state"), str) and isinstance(item.get("successor"), str):
                text += f" (state {item['state']!r}, successor {item['successor']!r})"
    return text or "top level"


_JSON_TYPE = {"object": "an object", "array": "an array", "string": "a string",
              "number": "a number", "null": "null"}


@cache
def _schema_validator() -> Any:
    import jsonschema

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _schema_lines(doc: Any, err: Any) -> list[str]:
    where = _where_path(doc, list(err.absolute_path))
    inst, kw, val = err.instance, err.validator, err.validator_value
    if kw == "type":
        types = val if isinstance(val, list) else [val]
        return [f"{where}: {_short(inst)} is not {' or '.join(_JSON_TYPE[t] for t in types)} "
                "(rule: docs/format.md, Fields)"]
    if kw == "required":
        return [f"{where}: missing required key {k!r}" for k in val if k not in inst]
    if kw == "additionalProperties":
        known = err.schema.get("properties", {})
        return [f"{where}: unknown key {k!r}{did_you_mean(k, known)} (extra data belongs in "
                f"{EXTENSIONS!r})" for k in inst if k not in known]
    if kw == "const":
        return [f"{where}: unknown format {_short(inst)}, expected {val!r}"]
    if kw in ("minItems", "minProperties"):
        return [f"{where}: must not be empty"]
    if kw == "minLength":
        return [f"{where}: must be a non-empty string"]
    return [f"{where}: {err.message[:200]}"]  # pragma: no cover - the schema uses no other


def _depth_and_text_problems(doc: Any) -> list[str]:
    """Nesting deeper than MAX_DEPTH, duplicate keys, strings that are not valid Unicode."""
    out: list[str] = []
    stack: list[tuple[Any, str, int]] = [(doc, "top level", 1)]
    while stack:
        obj, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return [f"{where}: nesting: arrays and objects nested too deep "
                    f"(rule: at most {MAX_DEPTH} levels)"]
        if isinstance(obj, dict):
            out += [f"{where}: duplicate key {k!r}" for k in getattr(obj, "dups", ())]
            for k, v in obj.items():
                sub = k if where == "top level" else f"{where}.{k}"
                stack.append((k, where, depth))
                stack.append((v, sub, depth + 1))
        elif isinstance(obj, list):
            stack += [(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
        elif isinstance(obj, str):
            try:
                obj.encode("utf-8")
            except UnicodeEncodeError:
                out.append(f"{where}: the string {_short(obj)} is not valid Unicode "
                           "(unpaired surrogate)")
    return out


def _to_float(v: Any) -> float:
    try:
        return float(v)
    except OverflowError:  # an int beyond the doubles: ±∞, refused as not finite
        return math.copysign(math.inf, v)


def _text_ok(s: Any) -> bool:
    return isinstance(s, str) and (s.isascii() or not _SURROGATE.search(s))


def _name_ok(s: Any) -> bool:
    return isinstance(s, str) and s != "" and (s.isascii() or not _SURROGATE.search(s))


def _obj_ok(d: Any, keys: frozenset[str], required: frozenset[str] | None = None) -> bool:
    return (isinstance(d, dict) and not getattr(d, "dups", ()) and d.keys() <= keys
            and (required is None or required <= d.keys()))


_SURROGATE = re.compile("[\ud800-\udfff]")
_TOP_KEYS = frozenset(("format", "name", "gamma", "agents", "states", "initial", "successors",
                       "transitions", "behavior", EXTENSIONS))
_TOP_REQUIRED = frozenset(("format", "gamma", "agents", "states", "initial", "successors",
                           "transitions"))
_STATE_KEYS = frozenset(("id", "agent", "obs"))
_TRANSITION_KEYS = frozenset(("state", "successor", "outcomes"))
_OUTCOME_KEYS = frozenset(("prob", "duration", "reward", "next"))


def _fast_structure_ok(doc: Any) -> bool:  # noqa: C901 - the schema, spelled out
    """True only if the shipped schema accepts ``doc`` and it has no duplicate keys, nesting or
    text problem: a fast path for valid documents (the schema gives the messages otherwise)."""
    num = _is_number
    if not _obj_ok(doc, _TOP_KEYS, _TOP_REQUIRED) or doc["format"] != FORMAT \
            or not isinstance(doc["format"], str) or not num(doc["gamma"]) \
            or not _text_ok(doc.get("name", "")):
        return False
    agents, states, initial = doc["agents"], doc["states"], doc["initial"]
    if not (isinstance(agents, list) and agents and all(_name_ok(a) for a in agents)):
        return False
    if not (isinstance(states, list) and states and all(
            _obj_ok(s, _STATE_KEYS, _STATE_KEYS) and _name_ok(s["id"]) and _name_ok(s["agent"])
            and _text_ok(s["obs"]) for s in states)):
        return False
    if not (_obj_ok(initial, initial.keys() if isinstance(initial, dict) else frozenset())
            and initial and all(_text_ok(k) and num(v) for k, v in initial.items())):
        return False
    succ = doc["successors"]
    if not (_obj_ok(succ, succ.keys() if isinstance(succ, dict) else frozenset()) and all(
            _text_ok(a) and isinstance(per, dict) and not getattr(per, "dups", ())
            and all(_text_ok(o) and isinstance(lst, list) and all(_name_ok(j) for j in lst)
                    for o, lst in per.items()) for a, per in succ.items())):
        return False
    trans = doc["transitions"]
    if not isinstance(trans, list):
        return False
    for t in trans:
        if not (_obj_ok(t, _TRANSITION_KEYS, _TRANSITION_KEYS) and _name_ok(t["state"])
                and _name_ok(t["successor"]) and isinstance(t["outcomes"], list)
                and t["outcomes"]):
            return False
        for o in t["outcomes"]:
            if not (_obj_ok(o, _OUTCOME_KEYS, _OUTCOME_KEYS) and num(o["prob"])
                    and num(o["duration"]) and num(o["reward"])
                    and (o["next"] is None or _text_ok(o["next"]))):
                return False
    beh = doc.get("behavior", {})
    if not (isinstance(beh, dict) and not getattr(beh, "dups", ()) and all(
            _text_ok(a) and isinstance(per, dict) and not getattr(per, "dups", ()) and all(
                _text_ok(o) and isinstance(dist, dict) and not getattr(dist, "dups", ())
                and all(_text_ok(j) and num(p) for j, p in dist.items())
                for o, dist in per.items()) for a, per in beh.items())):
        return False
    ext = doc.get(EXTENSIONS, {})
    return isinstance(ext, dict) and not _depth_and_text_problems(ext)


def structure_problems(doc: Any) -> list[str]:
    """Nesting, text and JSON Schema problems of a document, one line each (empty if none)."""
    if _fast_structure_ok(doc):
        return []
    lines = _depth_and_text_problems(doc)
    if lines:
        return lines
    for err in sorted(_schema_validator().iter_errors(doc), key=lambda e: list(map(str, e.path))):
        lines += [s for s in _schema_lines(doc, err) if s not in lines]
    return lines


def from_dict(doc: Any) -> EpochModel:  # noqa: C901 - one pass over the naming rules
    """Validate an ``icsmdp-epoch/1`` document and build the array-backed model.

    Three stages, each refusing with one line per problem (docs/format.md): the structure
    (nesting, duplicate keys, the shipped JSON Schema: keys, types), then the names (every id
    an entry refers to exists, agent names), here; then every numeric and semantic rule, by
    :func:`from_arrays` on the arrays the names translate to, so that both entry points give
    the same messages. An entry whose names are wrong is replaced by a neutral one before the
    arrays are checked, so one root problem gives one line.
    """
    lines = structure_problems(doc)
    if lines:
        raise ModelError(lines)
    problems: list[str] = []
    bad = problems.append
    lines = _agent_problems(doc["agents"])
    if lines:
        raise ModelError(lines)
    agents: list[str] = list(doc["agents"])
    agent_index = {a: i for i, a in enumerate(agents)}
    n_agents = len(agents)
    succ_index = {**agent_index, END: n_agents}

    # states: ids, agents, observation labels --------------------------------------------------
    state_ids: list[str] = []
    state_agent: list[int] = []
    state_label: list[str] = []
    refused: set[str] = set()  # ids already reported: entries naming them are not reported again
    for s_i, s in enumerate(doc["states"]):
        sid, sa = s["id"], s["agent"]
        if sa not in agent_index:
            bad(f"states[{s_i}] (state {sid!r}): agent {sa!r} is not listed in agents"
                f"{did_you_mean(sa, agents)}")
            refused.add(sid)
            continue
        state_ids.append(sid)
        state_agent.append(agent_index[sa])
        state_label.append(s["obs"])
    if not state_ids:
        raise ModelError(problems)
    problems += _id_problems(state_ids)
    if problems and len(set(state_ids)) != len(state_ids):
        raise ModelError(problems)
    state_index = {sid: y for y, sid in enumerate(state_ids)}
    n = len(state_ids)

    def unknown_state(where: str, sid: str, what: str) -> None:
        if sid not in refused:
            bad(f"{where}: {what} {sid!r} is not a state id{did_you_mean(sid, state_ids)}")

    # observations: ordered by agent, then by first appearance ---------------------------------
    obs_key_index: dict[tuple[int, str], int] = {}
    for a in range(n_agents):
        for y in range(n):
            if state_agent[y] == a and (a, state_label[y]) not in obs_key_index:
                obs_key_index[(a, state_label[y])] = len(obs_key_index)
    obs_keys = list(obs_key_index)
    state_obs = [obs_key_index[(state_agent[y], state_label[y])] for y in range(n)]

    # initial ----------------------------------------------------------------------------------
    initial = np.zeros(n)
    for sid, p in doc["initial"].items():
        if sid not in state_index:
            unknown_state("initial", sid, "state")
            initial = np.full(n, 1.0 / n)  # neutral: the problem is the name
            break
        initial[state_index[sid]] = _to_float(p)

    # successors (admissible sets, by name) -----------------------------------------------------
    def per_agent(section: str) -> Any:
        """(name, index, value) of each listed agent of ``doc[section]``; others reported."""
        for a_name, value in doc.get(section, {}).items():
            if a_name in agent_index:
                yield a_name, agent_index[a_name], value
            else:
                bad(f"{section}: agent {a_name!r} is not listed in agents"
                    f"{did_you_mean(a_name, agents)}")

    admissible: dict[tuple[int, str], list[int]] = {}
    for a_name, a, per_obs in per_agent("successors"):
        for label, lst in per_obs.items():
            js: list[int] = []
            for j in lst:
                if j not in succ_index:
                    bad(f"successors.{a_name}.{label}: successor {j!r} is not an agent or "
                        f"'END'{did_you_mean(j, succ_index)}")
                else:
                    js.append(succ_index[j])
            admissible[(a, label)] = js
    missing_obs: set[tuple[int, str]] = set()  # reported once; their transitions are not
    for (a, label) in obs_keys:
        if (a, label) not in admissible:
            missing_obs.add((a, label))
            ys = [state_ids[y] for y in range(n) if state_agent[y] == a and state_label[y] == label]
            bad(f"successors.{agents[a]}: no entry for observation {label!r} (used by state "
                f"{ys[0]!r}){did_you_mean(label, doc['successors'].get(agents[a], {}))}")
            admissible[(a, label)] = [n_agents]  # neutral

    # transitions: one entry per admissible pair -------------------------------------------------
    neutral = [(1.0, 1.0, 0.0, -1)]  # one certain episode end: valid for every pair
    pair_outcomes: dict[tuple[int, int], list[tuple[float, float, float, int]]] = {}
    for t_i, t in enumerate(doc["transitions"]):
        sid, jn = t["state"], t["successor"]
        where = f"transitions[{t_i}]"
        if sid not in state_index:
            unknown_state(where, sid, "state")
            continue
        y = state_index[sid]
        if (state_agent[y], state_label[y]) in missing_obs:
            continue
        where = f"transitions[{t_i}] (state {sid!r}, successor {jn!r})"
        if jn not in succ_index:
            bad(f"{where}: successor is not an agent or 'END'{did_you_mean(jn, succ_index)}")
            continue
        j = succ_index[jn]
        if j == state_agent[y]:
            bad(f"{where}: successor equals the acting agent (not allowed)")
            continue
        if j not in admissible.get((state_agent[y], state_label[y]), []):
            bad(f"{where}: successor is not admissible for observation {state_label[y]!r} of "
                f"agent {agents[state_agent[y]]!r} (extra transitions entry)")
            continue
        if (y, j) in pair_outcomes:
            bad(f"{where}: duplicate transitions entry for this state and successor")
            continue
        outs = []
        for o_i, o in enumerate(t["outcomes"]):
            nx = o["next"]
            if nx is not None and nx not in state_index:
                if nx not in refused:
                    bad(f"{where}: outcomes[{o_i}].next = {nx!r}: not a state id"
                        f"{did_you_mean(nx, state_ids)}")
                outs = neutral
                break
            outs.append((_to_float(o["prob"]), _to_float(o["duration"]), _to_float(o["reward"]),
                         -1 if nx is None else state_index[nx]))
        pair_outcomes[(y, j)] = outs
    for y in range(n):
        for j in admissible[(state_agent[y], state_label[y])]:
            if (y, j) not in pair_outcomes:
                if (state_agent[y], state_label[y]) in missing_obs:
                    pair_outcomes[(y, j)] = neutral
                    continue
                bad(f"transitions: missing entry for state {state_ids[y]!r}, successor "
                    f"{(agents + [END])[j]!r}")
                pair_outcomes[(y, j)] = neutral

    # behaviour (missing entries: uniform) -------------------------------------------------------
    obs_succ_lists = [admissible[k] for k in obs_keys]
    beh_lists = [np.full(len(js), 1.0 / max(len(js), 1)) for js in obs_succ_lists]
    for a_name, a, per_obs in per_agent("behavior"):
        for label, dist in per_obs.items():
            where = f"behavior.{a_name}.{label}"
            if (a, label) not in obs_key_index:  # like successors: ignored if no state uses it
                if (a, label) not in admissible:
                    bad(f"{where}: observation {label!r} has no successors entry for agent "
                        f"{a_name!r}{did_you_mean(label, [lb for (b, lb) in obs_keys if b == a])}")
                continue
            js = admissible[(a, label)]
            vec = np.zeros(len(js))
            for jn, p in dist.items():
                if succ_index.get(jn) not in js:
                    bad(f"{where}: {jn!r} is not an admissible successor here")
                    break
                vec[js.index(succ_index[jn])] = _to_float(p)
            else:
                beh_lists[obs_key_index[(a, label)]] = vec

    # the arrays: every numeric and semantic rule is checked by from_arrays ---------------------
    obs_ptr = np.zeros(len(obs_keys) + 1, dtype=np.int64)
    obs_ptr[1:] = np.cumsum([len(js) for js in obs_succ_lists])
    outs_all = [out for y in range(n) for j in obs_succ_lists[state_obs[y]]
                for out in pair_outcomes[(y, j)]]
    out_counts = [len(pair_outcomes[(y, j)]) for y in range(n)
                  for j in obs_succ_lists[state_obs[y]]]
    arr = np.array(outs_all, dtype=float).reshape(-1, 4)
    try:
        model = from_arrays(
            gamma=_to_float(doc["gamma"]), agents=agents, state_agent=state_agent,
            state_obs=state_obs, obs_agent=[a for a, _ in obs_keys], obs_ptr=obs_ptr,
            obs_succ=[j for js in obs_succ_lists for j in js],
            out_ptr=np.concatenate([[0], np.cumsum(out_counts)]), out_prob=arr[:, 0],
            out_dur=arr[:, 1], out_rew=arr[:, 2], out_next=arr[:, 3].astype(np.int64),
            initial=initial, behavior=np.concatenate(beh_lists), state_ids=state_ids,
            obs_labels=[label for _, label in obs_keys], name=doc.get("name", ""))
    except ModelError as exc:
        raise ModelError(problems + exc.problems) from None
    if problems:
        raise ModelError(problems)
    return replace(model, source=doc)


# ---------------------------------------------------------------------------------------
# Building a model from arrays (large generated models; same rules as from_dict)
# ---------------------------------------------------------------------------------------


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def _agent_problems(agents: Any) -> list[str]:
    """Agent names: non-empty, unique strings, none of them ``END``."""
    out = [] if len(agents) else ["agents: expected a non-empty list of agent names"]
    for a_i, a in enumerate(agents):
        if not isinstance(a, str) or not a:
            out.append(f"agents[{a_i}]: {_short(a)} is not a non-empty string")
        elif a == END:
            out.append(f"agents[{a_i}]: the name 'END' is reserved for the end of the workflow")
        elif a in agents[:a_i]:
            out.append(f"agents[{a_i}]: duplicate agent {a!r}")
    return out


def _id_problems(ids: Any) -> list[str]:
    """State ids: non-empty, unique strings."""
    out = []
    seen: set[Any] = set()
    for y, sid in enumerate(ids):
        if not isinstance(sid, str) or not sid:
            out.append(f"states[{y}]: id {_short(sid)} is not a non-empty string")
        elif sid in seen:
            out.append(f"states[{y}] (state {sid!r}): duplicate state id {sid!r}")
        seen.add(sid)
    return out


def _first_lines(mask: np.ndarray, line: Any, limit: int = 10) -> list[str]:
    """``line(i)`` for the first ``limit`` indices where ``mask`` holds, then a count."""
    idx = np.flatnonzero(mask)
    out = [line(int(i)) for i in idx[:limit]]
    if len(idx) > limit:
        out.append(f"... and {len(idx) - limit} more like the line above")
    return out


def from_arrays(*, gamma: float, agents: list[str] | tuple[str, ...],
                state_agent: Any, state_obs: Any, obs_agent: Any, obs_ptr: Any, obs_succ: Any,
                out_ptr: Any, out_prob: Any, out_dur: Any, out_rew: Any, out_next: Any,
                initial: Any, behavior: Any = None, state_ids: Any = None,
                obs_labels: Any = None, name: str = "") -> EpochModel:
    """Validate arrays against FORMAT.md's rules and build the model, without a JSON document.

    For models too large to write out as ``icsmdp-epoch/1`` (e.g. 10⁵ states); every rule that
    :func:`from_dict` checks is checked here, vectorised, and problems are raised together as a
    :class:`ModelError` naming the field and the state. The result equals
    ``from_dict(result.to_dict())``: observations are put in the loader's order (by agent, then
    by first appearance among the states) whatever order they are given in.

    Parameters
    ----------
    agents : N agent names (successor index ``N`` is END)
    state_agent, state_obs : (n,) agent and observation index of each latent state
    obs_agent : (n_obs,) agent of each observation
    obs_ptr, obs_succ : (n_obs+1,) and (n_obs_pairs,); the admissible successors of ``ô`` are
        ``J(ô) = obs_succ[obs_ptr[ô]:obs_ptr[ô+1]]``
    out_ptr : (n_pairs+1,) outcomes of latent pair ``k`` are ``out_ptr[k]:out_ptr[k+1]``; pairs
        are ordered by state, then in the order of ``J(σ(y))``
    out_prob, out_dur, out_rew, out_next : (n_out,) outcome law; ``out_next = -1`` ends the episode
    initial : (n,) ν₀; behavior : (n_obs_pairs,) π_b (default uniform)
    state_ids, obs_labels : names (default ``y<index>`` and ``o<index within the agent>``)

    >>> m = from_arrays(gamma=0.9, agents=["a", "b"], state_agent=[0, 1], state_obs=[0, 1],
    ...                 obs_agent=[0, 1], obs_ptr=[0, 1, 2], obs_succ=[1, 2], out_ptr=[0, 1, 2],
    ...                 out_prob=[1.0, 1.0], out_dur=[1, 2], out_rew=[0.0, 1.0],
    ...                 out_next=[1, -1], initial=[1.0, 0.0])
    >>> m.n_pairs, round(m.gamma_bar, 6)
    (2, 0.9)
    >>> from_dict(m.to_dict()).state_ids
    ('y0', 'y1')
    """
    naming: list[str] = []  # problems with names only: the arrays are still checked
    problems: list[str] = []

    def fail(*lines: str) -> ModelError:
        return ModelError(naming + problems + list(lines))

    def arr(x: Any, dtype: Any, what: str = "arrays") -> np.ndarray:
        try:
            return np.array(x, dtype=dtype).reshape(-1)
        except (TypeError, ValueError, OverflowError) as exc:
            raise fail(f"{what}: cannot be read as {np.dtype(dtype).name} numbers ({exc})"
                       ) from None

    agents = tuple(agents)
    N = len(agents)
    if not _is_number(gamma) or not math.isfinite(gamma) or not 0.0 < gamma < 1.0:
        naming.append(f"gamma: {_short(gamma)} is not a number in (0, 1) (rule: 0 < gamma < 1)")
    naming += _agent_problems(agents)
    s_agent = arr(state_agent, np.int64, "state_agent")
    s_obs = arr(state_obs, np.int64, "state_obs")
    o_agent, o_ptr = arr(obs_agent, np.int64, "obs_agent"), arr(obs_ptr, np.int64, "obs_ptr")
    o_succ = arr(obs_succ, np.int64, "obs_succ")
    n, n_obs = len(s_agent), len(o_agent)
    ids = tuple(f"y{y}" for y in range(n)) if state_ids is None else tuple(state_ids)
    if len(ids) != n or len(s_obs) != n or not n:
        raise fail(f"states: state_agent, state_obs and state_ids must have one entry per "
                   f"state, got {len(s_agent)}, {len(s_obs)}, {len(ids)}")
    if len(o_ptr) != n_obs + 1 or o_ptr[0] != 0 or (np.diff(o_ptr) < 0).any() \
            or o_ptr[-1] != len(o_succ):
        raise fail("successors: obs_ptr must be a non-decreasing (n_obs+1,) pointer "
                   "array from 0 to len(obs_succ)")
    naming += _id_problems(ids)
    if ((s_agent < 0) | (s_agent >= N)).any() or ((o_agent < 0) | (o_agent >= N)).any() \
            or ((s_obs < 0) | (s_obs >= n_obs)).any():
        raise fail("states: agent or observation index out of range")
    problems += _first_lines(o_agent[s_obs] != s_agent, lambda y: (
        f"states[{y}] (state {ids[y]!r}): its observation belongs to agent "
        f"{agents[o_agent[s_obs[y]]]!r}, not to its agent {agents[s_agent[y]]!r}"))
    used = np.bincount(s_obs, minlength=n_obs) > 0
    problems += _first_lines(~used, lambda o: f"successors: observation {o} is used by no state")

    # observation labels and the loader's order (by agent, then first appearance) ------------
    labels = tuple(f"o{o}" for o in range(n_obs)) if obs_labels is None else tuple(obs_labels)
    if len(labels) != n_obs or not all(isinstance(s, str) for s in labels) \
            or len(set(zip(o_agent.tolist(), labels, strict=True))) != n_obs:
        naming.append("states: observation labels must be strings, unique per agent")
    first = np.full(n_obs, n, dtype=np.int64)
    np.minimum.at(first, s_obs, np.arange(n))
    order = np.lexsort((first, o_agent))
    counts = np.diff(o_ptr)[order]
    new_ptr = np.zeros(n_obs + 1, dtype=np.int64)
    new_ptr[1:] = np.cumsum(counts)
    gather = np.repeat(o_ptr[:-1][order] - new_ptr[:-1], counts) + np.arange(new_ptr[-1])
    inv = np.empty(n_obs, dtype=np.int64)
    inv[order] = np.arange(n_obs)
    s_obs, o_agent, o_ptr, o_succ = inv[s_obs], o_agent[order], new_ptr, o_succ[gather]
    if obs_labels is None:  # "o<k>": the k-th observation of its agent in the loader's order
        labels = tuple(f"o{k}" for k in (np.arange(n_obs)
                                         - np.searchsorted(o_agent, o_agent)).tolist())
    else:
        labels = tuple(labels[o] for o in order)
    obs_of_pair = np.repeat(np.arange(n_obs), np.diff(o_ptr))

    def obs_where(o: int) -> str:
        return f"successors.{agents[o_agent[o]]}.{labels[o]}"

    problems += _first_lines(np.diff(o_ptr) == 0, lambda o: (
        f"{obs_where(o)}: the admissible set is empty (every observation needs a successor)"))
    bad_j = (o_succ < 0) | (o_succ > N)
    problems += _first_lines(bad_j, lambda p: (
        f"{obs_where(obs_of_pair[p])}: successor index {o_succ[p]} is not an agent or END"))
    problems += _first_lines(~bad_j & (o_succ == o_agent[obs_of_pair]), lambda p: (
        f"{obs_where(obs_of_pair[p])}: successor {agents[o_succ[p]]!r} equals the acting "
        "agent (not allowed)"))
    key = obs_of_pair * (N + 1) + o_succ
    srt = np.sort(key)
    problems += _first_lines(np.diff(srt) == 0, lambda p: (
        f"{obs_where(srt[p] // (N + 1))}: duplicate successor "
        f"{(agents + (END,))[srt[p] % (N + 1)]!r}"))
    if problems:
        raise fail()

    def dist_lines(p: np.ndarray, ptr: np.ndarray, where: Any, item: Any, what: str,
                   positive: bool) -> list[str]:
        owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
        bad = ~np.isfinite(p) | ((p <= 0) if positive else (p < 0))
        out = _first_lines(bad, lambda i: (
            f"{item(i)} = {float(p[i])!r}: a probability must be a finite number "
            f"{'> 0' if positive else '>= 0'}"))
        tot = np.bincount(owner, np.where(bad, 0.0, p), minlength=len(ptr) - 1)
        off = np.abs(tot - 1.0) > PROB_TOL * np.maximum(1.0, tot)
        out += _first_lines(off & (np.bincount(owner, bad, minlength=len(ptr) - 1) == 0),
                            lambda b: f"{where(b)}: {what} sum to {float(tot[b])!r}, must sum to 1 "
                            "(relative tolerance 1e-9)")
        return out

    # initial and behaviour ------------------------------------------------------------------
    nu0 = arr(initial, float, "initial")
    if len(nu0) != n:
        raise fail(f"initial: expected {n} probabilities, got {len(nu0)}")
    problems += dist_lines(nu0, np.array([0, n]), lambda _: "initial",
                           lambda y: f"initial (state {ids[y]!r})", "probabilities", False)
    beh = (np.repeat(1.0 / np.diff(o_ptr), np.diff(o_ptr)) if behavior is None
           else arr(behavior, float, "behavior")[gather])
    if len(beh) != len(o_succ):
        raise fail(f"behavior: expected {len(o_succ)} probabilities, got {len(beh)}")
    problems += dist_lines(beh, o_ptr, lambda o: f"behavior.{agents[o_agent[o]]}.{labels[o]}",
                           lambda q: (f"behavior.{agents[o_agent[obs_of_pair[q]]]}."
                                      f"{labels[obs_of_pair[q]]}.{(agents + (END,))[o_succ[q]]}"),
                           "probabilities", False)

    # latent pairs and outcomes ---------------------------------------------------------------
    n_succ = np.diff(o_ptr)[s_obs]
    pair_ptr = np.zeros(n + 1, dtype=np.int64)
    pair_ptr[1:] = np.cumsum(n_succ)
    n_pairs = int(pair_ptr[-1])
    pair_state = np.repeat(np.arange(n), n_succ)
    pair_obs_pair = o_ptr[s_obs][pair_state] + np.arange(n_pairs) - pair_ptr[:-1][pair_state]
    pair_succ = o_succ[pair_obs_pair]
    u_ptr = arr(out_ptr, np.int64, "out_ptr")
    if len(u_ptr) != n_pairs + 1 or u_ptr[0] != 0 or (np.diff(u_ptr) < 1).any():
        raise fail(f"transitions: out_ptr must be an increasing ({n_pairs}+1,) "
                   "pointer array from 0 (every pair needs >= 1 outcome)")
    u_prob, u_rew = arr(out_prob, float, "out_prob"), arr(out_rew, float, "out_rew")
    u_dur_raw, u_next = arr(out_dur, float, "out_dur"), arr(out_next, np.int64, "out_next")
    n_out = int(u_ptr[-1])
    if not len(u_prob) == len(u_rew) == len(u_dur_raw) == len(u_next) == n_out:
        raise fail(f"transitions: out_prob, out_dur, out_rew, out_next must "
                   f"have out_ptr[-1] = {n_out} entries")
    out_pair = np.repeat(np.arange(n_pairs), np.diff(u_ptr))

    def pair_where(k: int) -> str:
        y = pair_state[k]
        j = pair_succ[k]
        return f"transitions (state {ids[y]!r}, successor {(agents + (END,))[j]!r})"

    def out_where(i: int) -> str:
        return f"{pair_where(out_pair[i])}: outcomes[{i - u_ptr[out_pair[i]]}]"

    problems += dist_lines(u_prob, u_ptr, pair_where, lambda i: f"{out_where(i)}.prob",
                           "outcome probabilities", True)
    problems += _first_lines(~np.isfinite(u_dur_raw) | (u_dur_raw < 1) | (u_dur_raw > MAX_DURATION)
                             | (u_dur_raw != np.floor(u_dur_raw)), lambda i: (
        f"{out_where(i)}.duration = {float(u_dur_raw[i]):.17g}: must be an integer >= 1 and "
        "<= 2**53 (rule: docs/format.md, Fields)"))
    problems += _first_lines(~np.isfinite(u_rew), lambda i: (
        f"{out_where(i)}.reward = {float(u_rew[i])!r}: must be a finite number"))
    if not problems and _is_number(gamma) and 0.0 < gamma < 1.0:  # values must be doubles
        cont = np.where((u_next >= 0) & np.isfinite(u_prob),
                        u_prob * float(gamma) ** np.clip(u_dur_raw, 1, None), 0.0)
        g_bar = float(np.bincount(out_pair, cont, minlength=n_pairs).max(initial=0.0))
        with np.errstate(over="ignore"):
            v_max = np.abs(u_rew) / max(1.0 - g_bar, 1e-300)
        problems += _first_lines(v_max > MAX_VALUE, lambda i: (
            f"{out_where(i)}.reward = {float(u_rew[i])!r}: with γ̄ = {g_bar:.6g} values reach "
            f"|reward|/(1 − γ̄) = {float(v_max[i]):.3g} > 1e300 (rule: every value function "
            "must be a finite double; docs/format.md, Ranges)"), limit=1)
    j_out = pair_succ[out_pair]
    bad_next = (u_next < -1) | (u_next >= n)
    problems += _first_lines(bad_next, lambda i: f"{out_where(i)}.next = {u_next[i]}: not a state")
    nx = np.where(bad_next, -1, u_next)
    problems += _first_lines((j_out == N) & (nx >= 0), lambda i: (
        f"{out_where(i)}.next = {ids[nx[i]]!r}: successor END must have next = null"))
    problems += _first_lines((j_out < N) & (nx >= 0) & (s_agent[nx] != j_out), lambda i: (
        f"{out_where(i)}.next = {ids[nx[i]]!r}: its agent {agents[s_agent[nx[i]]]!r} differs "
        f"from the successor {agents[j_out[i]]!r}"))
    if naming or problems:
        raise fail()

    def ro(a: np.ndarray) -> np.ndarray:
        a = np.ascontiguousarray(a)
        a.setflags(write=False)
        return a

    return EpochModel(
        name=str(name), gamma=float(gamma), agents=agents, state_ids=ids,
        state_agent=ro(s_agent), state_obs=ro(s_obs), obs_agent=ro(o_agent), obs_labels=labels,
        obs_ptr=ro(o_ptr), obs_succ=ro(o_succ), initial=ro(nu0 / nu0.sum()), behavior=ro(beh),
        pair_ptr=ro(pair_ptr), pair_obs_pair=ro(pair_obs_pair), out_ptr=ro(u_ptr),
        out_prob=ro(u_prob), out_dur=ro(u_dur_raw.astype(np.int64)), out_rew=ro(u_rew),
        out_next=ro(u_next))
