"""``icq audit`` and ``icq budget``: JSON contract, reports, and every invalid-input path."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from icq.bounds.validate import InputError, load_features, load_obs_metric
from icq.cli import main
from icq.reference.model import example_path, from_dict, load

from .test_bounds_hand import loop_doc

ARE = str(example_path("author-reviewer-editor"))
RING = str(example_path("ring-exact"))


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def loop_file(tmp_path):
    p = tmp_path / "loop.json"
    p.write_text(json.dumps(loop_doc()))
    return str(p)


def test_audit_json_has_every_documented_key(capsys):
    code, out, err = run(capsys, "audit", ARE, "--json")
    assert code == 0, err
    j = json.loads(out)
    for key in ("gamma_bar", "T_max", "R_bar", "epsilon", "delta_l1", "L_V", "gap_paper",
                "gap_value_aware", "gap_statewise", "gap_exact",
                "policy_loss_bound", "policy_loss_exact", "tau_mix", "stationary",
                "features", "theorem1", "assumptions", "method"):
        assert key in j, key
    for key in ("kind", "omega", "kappa", "kappa_lower", "kappa_upper", "a6_holds",
                "epsilon_approx", "C_F", "outside_support"):
        assert key in j["features"], key
    th = j["theorem1"]
    for key in ("applicable", "reason", "terms", "bound", "handoffs", "symbolic"):
        assert key in th, key
    assert set(th["terms"]) == {"approximation", "ais", "mixing_residual", "burn_in"}
    assert "Bhandari" in th["symbolic"]["imported"] and "\\kappa" in th["symbolic"]["latex"]
    assert sum(j["stationary"].values()) == pytest.approx(1.0)
    for name, c in j["assumptions"].items():
        assert c["holds"] in (True, False, None) and c["detail"], name
    # A6 fails with one-hot features and uniform behaviour: no claim, but every term reported
    assert j["features"]["a6_holds"] is False and th["applicable"] is False
    assert "A6" in th["reason"] and th["bound"] is None and th["terms"]["ais"] > 0
    assert j["gap_exact"] <= j["gap_statewise"] <= j["gap_value_aware"] \
        <= j["gap_paper"]
    assert j["policy_loss_exact"] <= j["policy_loss_bound"]


def test_audit_ring_exact_is_exact(capsys):
    code, out, _ = run(capsys, "audit", RING, "--json")
    j = json.loads(out)
    assert code == 0
    assert j["epsilon"] == 0 and j["delta_l1"] == 0
    assert j["gap_paper"] == 0 and abs(j["gap_exact"]) < 1e-12


def test_audit_applicable_instance_and_handoffs(capsys, loop_file):
    code, out, _ = run(capsys, "audit", loop_file, "--json", "--at-handoffs", "5000")
    j = json.loads(out)
    assert code == 0 and j["theorem1"]["applicable"] and j["theorem1"]["handoffs"] == 5000
    # the old name gives the same document, and says it is the old name
    code, old, err = run(capsys, "audit", loop_file, "--json", "--handoffs", "5000")
    assert code == 0 and old == out and "--at-handoffs" in err
    t = j["theorem1"]["terms"]
    assert j["theorem1"]["bound_three_term"] == pytest.approx(sum(t.values()))
    # the Minkowski headline: (C_F ε_approx + Δ + √(residual))², residual = (mixing + burn-in)/3
    delta = j["theorem1"]["inputs"]["Delta"]
    c = ((t["mixing_residual"] + t["burn_in"]) / 3) ** 0.5
    assert j["theorem1"]["bound"] == pytest.approx((math.sqrt(t["approximation"] / 3)
                                                    + delta + c) ** 2)
    assert j["theorem1"]["bound"] <= j["theorem1"]["bound_three_term"]


def test_audit_text_mode_prints_a_verdict(capsys):
    code, out, _ = run(capsys, "audit", ARE)
    assert code == 0 and "verdict" in out and "does NOT apply" in out


def test_audit_feature_files(capsys, tmp_path, loop_file):
    m = from_dict(loop_doc())
    npy = tmp_path / "phi.npy"
    np.save(npy, np.eye(m.n_obs_pairs))
    code, out, err = run(capsys, "audit", loop_file, "--features", str(npy), "--json")
    assert code == 0, err
    assert json.loads(out)["features"]["kind"] == "user"
    pairs = [{"agent": m.obs_name(int(m.obs_pair_obs[r]))[0],
              "obs": m.obs_name(int(m.obs_pair_obs[r]))[1],
              "successor": m.successor_name(m.obs_succ[r])} for r in range(m.n_obs_pairs)]
    keyed = tmp_path / "phi.json"
    keyed.write_text(json.dumps({"pairs": pairs[::-1],
                                 "features": np.eye(m.n_obs_pairs)[::-1].tolist()}))
    code, out2, err = run(capsys, "audit", loop_file, "--features", str(keyed), "--json")
    assert code == 0, err
    assert json.loads(out2)["features"]["kappa"] == pytest.approx(
        json.loads(out)["features"]["kappa"])


@pytest.mark.parametrize("array,words", [
    (np.ones((3, 2)), ["features", "‖φ‖₂", "> 1"]),
    (np.zeros((2, 2)), ["features", "shape", "(3, d"]),
])
def test_bad_feature_file_exits_2_and_writes_nothing(capsys, tmp_path, loop_file, array, words):
    bad = tmp_path / "bad.npy"
    np.save(bad, array)
    report = tmp_path / "r.md"
    code, out, err = run(capsys, "audit", loop_file, "--features", str(bad), "--report",
                         str(report), "--json")
    assert code == 2 and out == ""
    for w in words:
        assert w in err
    assert not report.exists() and len(err.strip().splitlines()) == 1


def test_w1_metric_files(capsys, tmp_path):
    m = load(ARE)
    rng = np.random.default_rng(0)
    pts = rng.uniform(size=(m.n_obs, 2))
    dist = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    obs = [{"agent": m.obs_name(o)[0], "obs": m.obs_name(o)[1]} for o in range(m.n_obs)]
    good = tmp_path / "metric.json"
    good.write_text(json.dumps({"observations": obs, "distances": dist.tolist()}))
    code, out, err = run(capsys, "audit", ARE, "--metric", "w1", "--obs-metric", str(good),
                         "--json")
    assert code == 0, err
    j = json.loads(out)
    assert j["metric"] == "w1" and j["delta"] >= 0 and "emd2" in j["method"]["delta"]
    asym = dist.copy()
    asym[0, 1] += 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(asym.tolist()))
    code, _, err = run(capsys, "audit", ARE, "--metric", "w1", "--obs-metric", str(bad))
    assert code == 2 and "obs-metric" in err and "symmetric" in err
    code, _, err = run(capsys, "audit", ARE, "--metric", "w1")
    assert code == 2 and "--obs-metric" in err


@pytest.mark.parametrize("argv,words", [
    (["--at-handoffs", "0"], ["--at-handoffs", "≥ 1"]),
    (["--handoffs", "0"], ["--at-handoffs", "≥ 1"]),
    (["--handoffs", "10", "--at-handoffs", "10"], ["--handoffs", "old name", "one of them"]),
    (["--report", "out.txt"], ["--report", ".md or .html"]),
    (["--features", "missing-file.npy"], ["features", "not a readable file"]),
])
def test_audit_usage_errors_exit_2(capsys, argv, words):
    code, out, err = run(capsys, "audit", ARE, *argv)
    assert code == 2 and out == ""
    for w in words:
        assert w in err


def test_invalid_model_exits_2(capsys, tmp_path):
    doc = loop_doc()
    doc["gamma"] = 1.5
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(doc))
    code, _, err = run(capsys, "audit", str(p))
    assert code == 2 and "gamma" in err


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_report_contains_the_sympy_latex(capsys, tmp_path, loop_file, suffix):
    report = tmp_path / f"audit{suffix}"
    code, _, err = run(capsys, "audit", loop_file, "--report", str(report), "--json")
    assert code == 0, err
    text = report.read_text()
    assert "Bhandari" in text and "Verdict" in text
    if suffix == ".md":
        assert "\\kappa" in text
        assert (tmp_path / "audit-bound.png").stat().st_size > 1000
        assert (tmp_path / "audit-gaps.png").exists()
    else:  # MathML, and Theorem 1 applies here, so the bound figure is an image
        assert "\\kappa" not in text and "<mi>&#x003BA;</mi>" in text  # κ in MathML
        assert '<figure id="fig-bound"><img' in text


def _theorem1(out: str) -> dict:
    return next(r for r in json.loads(out)["methods"] if r["method"] == "Theorem 1")


def test_budget_theorem1_row(capsys, loop_file):
    """Theorem 1's row of ``icq budget`` (total error in ‖·‖_μ; the certificate row is tested
    in test_certificate.py)."""
    fast = ("--seeds", "59", "--horizon", "200", "--workers", "1", "--error", "total",
            "--norm", "mu", "--json")
    code, out, err = run(capsys, "budget", loop_file, "--target", "40", *fast)
    assert code == 0, err
    j = _theorem1(out)
    assert j["blocked_by"] is None and j["handoffs"] >= 1 and j["details"]["exact_check"] is True
    assert j["primitive_steps_max"] == j["handoffs"]  # T_max = 1
    # at target 1 = Δ_exact (sup) the ‖·‖_μ row still gives a budget: its Δ is the exact
    # ‖Q̂*_μ∘σ − Q*‖_μ, here 0.645 (docs/theory.md §8, "IC-Q's limit")
    code, out, _ = run(capsys, "budget", loop_file, "--target", "1", *fast)
    j = _theorem1(out)
    assert j["handoffs"] is not None and j["details"]["Delta"] == pytest.approx(
        json.loads(out)["icq_limit"]) and j["details"]["Delta"] < 1 - 1e-9


def test_budget_theorem1_blocked_by_assumptions_and_bad_target(capsys):
    code, out, _ = run(capsys, "budget", ARE, "--target", "5", "--seeds", "59", "--horizon",
                       "200", "--workers", "1", "--error", "total", "--norm", "mu", "--json")
    j = _theorem1(out)
    assert code == 0 and j["blocked_by"] == "assumptions" and "A6" in j["reason"]
    for bad in ("-1", "0", "nan", "inf"):
        code, out, err = run(capsys, "budget", ARE, "--target", bad)
        assert code == 2 and out == "" and "--target" in err


def test_audit_with_neural_tangent_features(capsys):
    """``--features neural``: tangent features of per-agent MLPs go through the same audit."""
    code = main(["audit", str(example_path("ring-exact")), "--features", "neural",
                 "--width", "8", "--depth", "1", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["features"]["kind"] == "tangent"
    assert out["neural"]["width"] == 8 and out["neural"]["depth"] == 1
    # tangent features of a network are not exactly linear: A4 cannot be certified
    assert out["assumptions"]["A4"]["holds"] is None
    assert out["theorem1"]["applicable"] is False
    assert main(["audit", str(example_path("ring-exact")), "--features", "neural",
                 "--width", "0"]) == 2


def test_named_feature_and_metric_files_are_reordered_and_checked(tmp_path):
    """Feature/metric files that name their rows: any order loads; a row named twice or a name
    the model does not have is refused, naming the field."""
    m = load(example_path("ring-exact"))
    pairs = [{"agent": m.obs_name(int(m.obs_pair_obs[r]))[0],
              "obs": m.obs_name(int(m.obs_pair_obs[r]))[1],
              "successor": m.successor_name(m.obs_succ[r])} for r in range(m.n_obs_pairs)]
    rows = np.eye(m.n_obs_pairs).tolist()
    f = tmp_path / "f.json"
    f.write_text(json.dumps({"pairs": pairs[::-1], "features": rows[::-1]}))
    np.testing.assert_array_equal(load_features(f, m), np.eye(m.n_obs_pairs))
    f.write_text(json.dumps({"pairs": pairs[:-1] + pairs[:1], "features": rows}))
    with pytest.raises(InputError, match="features: pairs must name each of the 4"):
        load_features(f, m)
    obs = [{"agent": m.obs_name(o)[0], "obs": m.obs_name(o)[1]} for o in range(m.n_obs)]
    d = tmp_path / "d.json"
    d.write_text(json.dumps({"observations": obs[:-1] + [{"agent": "a", "obs": "zz"}],
                             "distances": np.ones((3, 3)).tolist()}))
    with pytest.raises(InputError, match=r"obs-metric: observations\[2\]"):
        load_obs_metric(d, m)
