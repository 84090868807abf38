"""The audit report (docs/theory.md §3–§6, §8): one document in Markdown and HTML, checked in
headless Chromium; greedy policies side by side; notebook views; ``icq audit --what-if``."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
from types import SimpleNamespace

import matplotlib.image as mpimg
import numpy as np
import pytest

from icq.bounds.auditor import audit
from icq.bounds.budget import MethodBudget, theorem_budgets
from icq.bounds.summary import greedy_policies
from icq.bounds.whatif import what_if
from icq.cli import main
from icq.reference.common.document import Omitted
from icq.reference.exact.solve import solution_frame, solve
from icq.reference.model import example_path, load
from icq.report import write_report
from icq.report.figures import certificate_curves, policy_loss_figure

PIPE = example_path("planner-coder-tester-reviewer")
RING = str(example_path("ring-exact"))


@pytest.fixture(scope="module")
def pipe():
    m = load(PIPE)
    a = audit(m)
    return m, a, what_if(m, gammas=(0.5,), starts=1, maxfev=40, setting=a.setting)


def certificate(target: float = 0.1):
    """A synthetic Monte-Carlo certificate in the budget helper's shape."""
    grid = np.array([10, 100, 1000, 10_000])
    errors = 1.0 / np.sqrt(grid)[None, :] * np.linspace(1, 3, 7)[:, None]
    mb = MethodBudget("Monte-Carlo certificate", target, "learning", "sup", "ok", 1000,
                      2000.0, 6000, "synthetic", section="§8")
    return SimpleNamespace(grid=grid, errors=errors, target=target, budget=mb)


def _pixels(png: bytes) -> np.ndarray:
    return mpimg.imread(io.BytesIO(png), format="png")


def test_html_report_in_headless_chromium(pipe, tmp_path):
    _, a, w = pipe
    path = tmp_path / "audit.html"
    write_report(a, path, whatif=w, certificate=certificate())
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                          "--dump-dom", path.as_uri()], capture_output=True, text=True,
                         timeout=180, check=True).stdout
    # the verdict, highlighted as a failure, names the witness and the evaluated what-if
    verdict = re.search(r'<p class="fail">(.*?)</p>', dom, flags=re.S).group(1)
    assert "does NOT apply" in verdict and "tester/pass" in verdict and "γ = 0.5" in verdict
    assert re.search(r'<tr class="fail"><td>A6</td><td>fails</td>', dom)
    # every figure that applies is an image, the bound is omitted with a sentence
    for name in ("kappa", "whatif", "learning", "policy-loss", "gaps"):
        m = re.search(rf'<figure id="fig-{name}"><img alt="[^"]+" src="data:image/png;base64,'
                      r'([^"]+)"', dom)
        assert m, name
        px = _pixels(base64.b64decode(m.group(1)))
        assert px[..., :3].std() > 0.05, f"{name} is blank"
    assert re.search(r'<p class="omitted" id="fig-bound">Figure omitted: Theorem 1 does not '
                     r"apply", dom)
    # the math is MathML, not raw LaTeX
    assert dom.count("<math") >= 5 and "<mfrac>" in dom
    text = re.sub(r"<[^>]+>", "", dom)
    assert "\\frac" not in text and "\\kappa" not in text


def test_markdown_and_html_share_one_document(pipe, tmp_path):
    _, a, w = pipe
    md = write_report(a, tmp_path / "r.md", whatif=w)
    html_path = write_report(a, tmp_path / "r.html", whatif=w)[-1]
    text = md[-1].read_text()
    figs = sorted(p.name for p in md[:-1])
    assert figs == ["r-gaps.png", "r-kappa.png", "r-policy-loss.png", "r-whatif.png"]
    assert all(f"]({f})" in text for f in figs)
    assert "Figure omitted: no Monte-Carlo certificate" in text
    h_md = re.findall(r"^#+ (.*)$", text, flags=re.M)
    h_html = re.findall(r"<h\d>(.*?)</h\d>", html_path.read_text())
    assert h_md == h_html and len(h_md) >= 8
    assert "$$\\mathbb{E}" in text and "> **✗** Theorem 1 does NOT apply" in text
    for block in re.findall(r"(?:^\|.*\|\n)+", text, flags=re.M):  # every table is rectangular
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in block.splitlines()}
        assert len(widths) == 1, block[:200]


def test_certificate_shape_is_checked():
    c = certificate(0.2)
    grid, errors, target, t = certificate_curves(c)
    assert target == 0.2 and t == 1000 and errors.shape == (7, 4)
    bad = SimpleNamespace(grid=c.grid, errors=c.errors[:, :3], target=0.1, handoffs=5)
    with pytest.raises(ValueError, match="columns"):
        certificate_curves(bad)


def test_greedy_policies_side_by_side(pipe):
    m, a, _ = pipe
    pc = greedy_policies(a)
    q = a.setting.latent.q
    for y, (_, _, state, cen, dec, differs, v_star, v_hat) in enumerate(pc.rows):
        assert state == m.state_ids[y] and differs == (cen != dec)
        sl = slice(m.pair_ptr[y], m.pair_ptr[y + 1])
        assert q[m.latent.ptr[y] + [m.successor_name(int(j)) for j in m.pair_succ[sl]]
                 .index(cen)] == pytest.approx(q[sl].max())  # centralized: argmax Q*(y,·)
        assert v_hat <= v_star + 1e-9
    by_obs = {}
    for agent, obs, *_, dec, _d, _v, _w in [(r[0], r[1], r[4], r[5], r[6], r[7])
                                            for r in pc.rows]:
        by_obs.setdefault((agent, obs), set()).add(dec)
    assert all(len(s) == 1 for s in by_obs.values())  # decentralized: one choice per obs
    assert pc.value_central - pc.value_decentral == pytest.approx(a.loss_exact.initial)
    assert any(r[5] for r in pc.rows) and pc.loss_initial > 0
    df = pc.frame()
    assert list(df.index.names) == ["agent", "observation", "state"]
    n_diff = sum(r[5] for r in pc.rows)
    short = pc.shown(n_diff + 1)  # every differing state, one more, in state order
    assert len(short) == n_diff + 1 and sum(r[5] for r in short) == n_diff
    ids = [r[2] for r in short]
    assert ids == [s for s in m.state_ids if s in ids]


def test_exact_observations_lose_nothing():
    a = audit(load(RING))
    pc = greedy_policies(a)
    assert abs(pc.loss_initial) < 1e-9 and all(abs(r[6] - r[7]) < 1e-9 for r in pc.rows)
    fig = policy_loss_figure(a)  # nothing lost: a sentence, not an empty chart
    assert isinstance(fig, Omitted) and "loses nothing" in fig.sentence


def test_notebook_views(pipe):
    m, a, _ = pipe
    h = a._repr_html_()
    assert "does NOT apply" in h and "<table>" in h and "<html" not in h
    sol = solve(m.latent)
    assert "residual" in sol._repr_html_()
    df = solution_frame(m, sol)
    assert list(df.index.names) == ["state", "successor"] and df["greedy"].sum() == m.n_states
    b = theorem_budgets(a, 1.0, error="total", norm="mu")[1]
    assert "<table>" in b._repr_html_() and "blocked_by" in b._repr_html_()
    assert "Monte-Carlo" in certificate().budget._repr_html_()
    _, _, w = pipe
    assert list(a.witness.frame().index.names) == ["agent", "observation", "successor"]
    assert a.witness.frame()["ratio"].iloc[0] == a.witness.pairs[0].ratio
    assert len(w.frame()) == len(w.scenarios) and "γ = 0.5" in w._repr_html_()


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_audit_what_if_cli(capsys, tmp_path):
    code, out, err = run(capsys, "audit", RING, "--json", "--what-if", "--try-gamma", "0.3")
    assert code == 0, err
    j = json.loads(out)
    assert j["what_if"]["found"] and j["what_if"]["best"]["kappa"] < 1
    assert j["a6_witness"]["pairs"]
    g = j["greedy_policies"]
    assert g["value_central_initial"] - g["value_decentral_initial"] == pytest.approx(
        j["policy_loss_exact_initial"]) and len(g["states"]) == j["model"]["n_states"]
    code, out, _ = run(capsys, "audit", RING)
    assert code == 0 and "A6 witness" in out and "greedy policies" in out and "V*(ν₀)" in out
    for argv, field in ((["--try-gamma", "0.5"], "--try-gamma"),
                        (["--what-if", "--try-remove", "a/x1"], "--try-remove"),
                        (["--what-if", "--try-initial", "A0"], "--try-initial"),
                        (["--what-if", "--try-gamma", "1.5"], "what-if gamma")):
        report = tmp_path / "r.html"
        code, out, err = run(capsys, "audit", RING, *argv, "--report", str(report))
        assert code == 2 and field in err and out == "" and not report.exists(), argv
