"""Hostile inputs refused cleanly (docs/format.md "Encoding, numbers and limits", docs/traces.md):
trace lines under the model file's parse limits, names over 256 characters, γ so close to 1
that a row's discounted mass reaches 1 or the values leave the doubles.

Every case exits 2 with a line naming the line number (traces) or the field, never 1.
"""

from __future__ import annotations

import json

import pytest

from icq.cli import main
from icq.reference.model import ModelError, example_path, from_dict
from icq.reference.model.parse import MAX_NAME

GOOD = ('{"episode": "e1", "t": 0, "agent": "a", "obs": "x", "successor": "b", "duration": 1, '
        '"reward": 0.5, "next_agent": "b", "next_obs": "y"}\n'
        '{"episode": "e1", "t": 1, "agent": "b", "obs": "y", "successor": "END", '
        '"duration": 2, "reward": 1.0, "next_agent": null, "next_obs": null}\n')
#: the second line with one field's raw JSON text replaced
SECOND = GOOD.splitlines()[1]

#: the five classes of the issue, and a few more: (name, raw text of line 2, field named)
CASES = [
    ("5000-digit t", SECOND.replace('"t": 1', '"t": 1' + "0" * 5000), "t"),
    ("5000-digit reward", SECOND.replace('"reward": 1.0', '"reward": 1' + "0" * 5000), "reward"),
    ("reward too large for a double", SECOND.replace('"reward": 1.0', '"reward": 1' + "0" * 400),
     "reward"),
    ("duration 2**64", SECOND.replace('"duration": 2', f'"duration": {2**64}'), "duration"),
    ("duration 10**30", SECOND.replace('"duration": 2', f'"duration": {10**30}'), "duration"),
    ("duration 2**53 + 1", SECOND.replace('"duration": 2', f'"duration": {2**53 + 1}'),
     "duration"),
    ("lone surrogate", SECOND.replace('"obs": "y"', '"obs": "\\ud800"'), "obs"),
    ("nesting 1000 deep", SECOND[:-1] + ', "x-ext": ' + "[" * 1000 + "]" * 1000 + "}", "x-ext"),
    ("nesting 100000 deep", SECOND[:-1] + ', "x-ext": ' + "[" * 10**5 + "]" * 10**5 + "}",
     "nesting"),
    ("long agent", SECOND.replace('"agent": "b"', '"agent": "' + "b" * 10**6 + '"'), "agent"),
    ("duplicate key", SECOND[:-1] + ', "t": 2}', "duplicate key 't'"),
    ("same t twice", SECOND.replace('"t": 1', '"t": 0'), "t: 0 is not after t = 0 on line 1"),
]


def _fit(tmp_path, text: str, capsys) -> tuple[int, str]:
    f = tmp_path / "t.jsonl"
    f.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = tmp_path / "m.json"
    rc = main(["fit", str(f), "-o", str(out), "--gamma", "0.9"])
    assert not out.exists() or rc == 0
    return rc, capsys.readouterr().err


def test_the_good_trace_fits(tmp_path, capsys):
    assert _fit(tmp_path, GOOD, capsys)[0] == 0


@pytest.mark.parametrize("name,line,field", CASES, ids=[c[0] for c in CASES])
def test_hostile_trace_lines_exit_2_naming_the_line_and_field(tmp_path, capsys, name, line,
                                                               field):
    rc, err = _fit(tmp_path, GOOD.splitlines()[0] + "\n" + line + "\n", capsys)
    assert rc == 2, err
    assert "line 2" in err and field in err, err
    assert "internal error" not in err and len(err) < 2000


def test_decreasing_t_names_both_lines(tmp_path, capsys):
    first, second = GOOD.splitlines()
    third = first.replace('"t": 0', '"t": 5')
    fourth = first.replace('"t": 0', '"t": 3')
    rc, err = _fit(tmp_path, "\n".join([first, second, third, fourth]) + "\n", capsys)
    assert rc == 2 and "line 4: t: 3 is not after t = 5 on line 3" in err, err


def test_interleaved_episodes_are_ordered_per_episode(tmp_path, capsys):
    """The rule is per episode: two interleaved episodes in increasing t are accepted."""
    first, second = GOOD.splitlines()
    other = [s.replace('"e1"', '"e2"') for s in (first, second)]
    assert _fit(tmp_path, "\n".join([first, other[0], second, other[1]]) + "\n", capsys)[0] == 0


def _ring() -> dict:
    return json.loads(example_path("ring-exact").read_text())


@pytest.mark.parametrize("where", ["agent", "id", "obs", "name", "initial key"])
def test_names_longer_than_the_limit_are_refused(where):
    d = _ring()
    long = "q" * (MAX_NAME + 1)
    if where == "agent":
        d["agents"][0] = long
    elif where in ("id", "obs"):
        d["states"][0][where] = long
    elif where == "name":
        d["name"] = long
    else:
        d["initial"] = {long: 1.0}
    with pytest.raises(ModelError) as exc:
        from_dict(d)
    assert f"longer than the {MAX_NAME} allowed" in str(exc.value)
    assert len(str(exc.value)) < 1000


def test_names_at_the_limit_are_accepted():
    d = _ring()
    d["name"] = "n" * MAX_NAME
    d["states"][0]["obs"] = "o" * MAX_NAME
    d["successors"]["a"]["o" * MAX_NAME] = d["successors"]["a"].pop("x0")
    assert from_dict(d).n_states == 3
