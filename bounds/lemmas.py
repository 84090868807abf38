"""The tie table: each number the Python code prints ↔ the Coq lemma that justifies it.

Each :class:`Lemma` records the docs/theory.md term, the dotted name of the Python object that
computes it (its docstring names the lemma), the ``proofs/`` file and theorem name, the exact
statement of that theorem (the Coq text after ``Theorem name :``, up to whitespace) and, in
words, what the statement assumes.  ``python proofs/check.py`` compiles the proofs and checks
every entry against the compiled lemma (same statement, standard-library axioms only) and
against the Python object, and that each entry names an existing property test and its
negative control (``test``, ``control``).  Data only: nothing here imports the library.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Lemma", "LEMMAS"]


@dataclass(frozen=True)
class Lemma:
    """One row of the tie table.

    Attributes
    ----------
    term : the docs/theory.md quantity or claim, with its section
    python : dotted name of the Python object that computes it
    coq_file : the file under ``proofs/``
    coq_name : the theorem name in that file
    statement : the theorem's exact statement (Coq), as the Python code relies on it
    assumes : its premises and imported hypotheses, in words
    test : the property test (``path::function``, Hypothesis on random models) that checks
        that the Python objects satisfy the lemma's premises and its conclusion
    control : the negative control of that test: a deliberately broken computation that
        Hypothesis must falsify
    """

    term: str
    python: str
    coq_file: str
    coq_name: str
    statement: str
    assumes: tuple[str, ...]
    test: str = ""
    control: str = ""


#: Budget.v ``budget_envelope_decreasing``, pinned once: it ties both the budget and its T₀
_ENVELOPE_DECREASING = r"""
        forall A c t0 dbar a T1 T2 : R,
          0 <= c -> 0 < t0 -> 0 < dbar < 1 -> 0 < a ->
          budget_T0 t0 dbar a <= T1 -> T1 <= T2 ->
          budget_envelope A c t0 dbar a T2 <= budget_envelope A c t0 dbar a T1
"""

LEMMAS: tuple[Lemma, ...] = (
    Lemma(
        term='Lemma C (§1): the SMDP Bellman operator T is a γ̄-contraction in sup norm',
        python='icq.reference.exact.solve.solve',
        coq_file='Contraction.v',
        coq_name='bellman_contraction',
        test='property_tests/tests/test_contraction.py::test_bellman_operator_contracts_by_gamma_bar',
        control='property_tests/tests/test_contraction.py::test_control_discounting_each_handoff_by_gamma_is_falsified',
        statement=r"""
        forall (S B : Type) (M : smdp S B) (g : R) (q1 q2 : S -> B -> R),
          kernel_nonneg M -> row_mass_le M g -> 0 <= g ->
          supnorm M (fun x j => bellman M q1 x j - bellman M q2 x j)
            <= g * supnorm M (fun x j => q1 x j - q2 x j)
""",
        assumes=(
            "K(x'|x,j) ≥ 0 on the pairs (kernel_nonneg)",
            "Σ_x' K(x'|x,j) ≤ γ̄ on every pair (row_mass_le)",
            '0 ≤ γ̄ (γ̄ < 1 makes it a contraction)',
        ),
    ),
    Lemma(
        term='Δ_AIS = (ε + γ̄ L_V δ)/(1 − γ̄), the paper form of the AIS gap (§3, Lemma A)',
        python='icq.bounds.ais.ais_gap_paper',
        coq_file='AisGap.v',
        coq_name='ais_gap_paper_form',
        test='property_tests/tests/test_ais_bounds.py::test_ais_gaps_are_ordered_and_bound_the_policy_loss',
        control='property_tests/tests/test_ais_bounds.py::test_control_bound_without_horizon_factor_is_falsified',
        statement=r"""
        forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
               (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R)
               (g eps L delta : R),
          ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
          bellman_fixed_point M q -> bellman_fixed_point H qh ->
          0 <= eps -> 0 <= delta ->
          (forall y j, In y (states M) -> In j (adm M y) -> reward_gap M H sig y j <= eps) ->
          (forall y j, In y (states M) -> In j (adm M y) -> tv_gap eqO M H sig y j <= g * delta) ->
          fmax (states H) (fun o => Rabs (vmax H qh o)) <= L ->
          (forall y j, In y (states M) -> In j (adm M y) ->
             transition_gap eqO M H sig (vmax H qh) y j <= g * L * delta) /\
          exact_gap M sig q qh <= (eps + g * L * delta) / (1 - g)
""",
        assumes=(
            'Q*, Q̂* solve the latent and AIS Bellman equations (bellman_fixed_point)',
            ('admissible sets depend on the observation only; σ maps into the AIS states, '
             'listed once (ais_compatible)'),
            'K ≥ 0, row mass ≤ γ̄, 0 ≤ γ̄ < 1',
            '|r̄ − r̂∘σ| ≤ ε and Σ|σ#K − K̂| ≤ γ̄ δ on every pair, ε ≥ 0, δ ≥ 0',
            '‖V̂*‖∞ ≤ L_V (TV paired with the sup norm)',
        ),
    ),
    Lemma(
        term='Δ_va = (ε + D)/(1 − γ̄), the value-aware AIS gap (§3, Lemma A)',
        python='icq.bounds.ais.ais_gap_value_aware',
        coq_file='AisGap.v',
        coq_name='ais_gap_value_aware',
        test='property_tests/tests/test_ais_bounds.py::test_ais_gaps_are_ordered_and_bound_the_policy_loss',
        control='property_tests/tests/test_ais_bounds.py::test_control_bound_without_horizon_factor_is_falsified',
        statement=r"""
        forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
               (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R)
               (g eps D : R),
          ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
          bellman_fixed_point M q -> bellman_fixed_point H qh ->
          0 <= eps -> 0 <= D ->
          (forall y j, In y (states M) -> In j (adm M y) -> reward_gap M H sig y j <= eps) ->
          (forall y j, In y (states M) -> In j (adm M y) ->
             transition_gap eqO M H sig (vmax H qh) y j <= D) ->
          exact_gap M sig q qh <= (eps + D) / (1 - g)
""",
        assumes=(
            'Q*, Q̂* solve the latent and AIS Bellman equations',
            'ais_compatible',
            'K ≥ 0, row mass ≤ γ̄, 0 ≤ γ̄ < 1',
            '|r̄ − r̂∘σ| ≤ ε and |⟨σ#K − K̂, V̂*⟩| ≤ D on every pair, ε ≥ 0, D ≥ 0',
        ),
    ),
    Lemma(
        term=('max e, the state-wise AIS gap (§3, Lemma A): Δ_exact ≤ e + r/(1 − γ̄) and max e'
              ' ≤ max a/(1 − γ̄)'),
        python='icq.bounds.ais.ais_gap_statewise',
        coq_file='AisGap.v',
        coq_name='ais_gap_statewise_sound',
        test='property_tests/tests/test_ais_bounds.py::test_ais_gaps_are_ordered_and_bound_the_policy_loss',
        control='property_tests/tests/test_ais_bounds.py::test_control_bound_without_horizon_factor_is_falsified',
        statement=r"""
        forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
               (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R)
               (g r : R) (e : Y -> B -> R),
          ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
          bellman_fixed_point M q -> bellman_fixed_point H qh -> 0 <= r ->
          (forall y j, In y (states M) -> In j (adm M y) ->
             statewise_map M (statewise_source eqO M H sig qh) e y j - e y j <= r) ->
          (forall y j, In y (states M) -> In j (adm M y) ->
             q_gap sig q qh y j <= e y j + r / (1 - g)) /\
          ((forall y j, In y (states M) -> In j (adm M y) -> 0 <= e y j) ->
           (forall y j, In y (states M) -> In j (adm M y) ->
              e y j <= statewise_map M (statewise_source eqO M H sig qh) e y j) ->
           pmax (states M) (adm M) e
             <= pmax (states M) (adm M) (statewise_source eqO M H sig qh) / (1 - g))
""",
        assumes=(
            'Q*, Q̂* solve the latent and AIS Bellman equations',
            'ais_compatible',
            'K ≥ 0, row mass ≤ γ̄, 0 ≤ γ̄ < 1',
            ('the residual F e − e of the reported e is ≤ r ≥ 0 on every pair (r = 0 for the '
             'exact fixed point)'),
            'for the second part: e ≥ 0 and e ≤ F e (the fixed point, or an iterate from 0)',
        ),
    ),
    Lemma(
        term='δ and L_V for total variation: |⟨ν₁ − ν₂, f⟩| ≤ ‖ν₁ − ν₂‖₁ ‖f‖∞ (§3, IPM instance)',
        python='icq.bounds.ais.delta_l1',
        coq_file='AisGap.v',
        coq_name='ipm_tv_bound',
        test='property_tests/tests/test_lemma_ties.py::test_tv_distance_times_sup_norm_bounds_the_value_aware_gap',
        control='property_tests/tests/test_lemma_ties.py::test_control_half_the_tv_distance_is_falsified',
        statement=r"""
        forall (A : Type) (l : list A) (n1 n2 f : A -> R),
          Rabs (fsum l (fun i => (n1 i - n2 i) * f i))
            <= fsum l (fun i => Rabs (n1 i - n2 i)) * fmax l (fun i => Rabs (f i))
""",
        assumes=(
            'finite support; no assumption on the masses of ν₁, ν₂',
        ),
    ),
    Lemma(
        term='2Δ, the loss of the greedy decentralized policy (§3, Lemma P)',
        python='icq.bounds.ais.policy_loss_bound',
        coq_file='PolicyLoss.v',
        coq_name='greedy_policy_loss',
        test='property_tests/tests/test_ais_bounds.py::test_ais_gaps_are_ordered_and_bound_the_policy_loss',
        control='property_tests/tests/test_lemma_ties.py::test_control_a_quarter_of_the_policy_loss_bound_is_falsified',
        statement=r"""
        forall (Y O B : Type) (M : smdp Y B) (H : smdp O B) (sig : Y -> O)
               (q qp : Y -> B -> R) (qh : O -> B -> R) (pi : O -> B) (Delta : R) (y : Y),
          adm M y = adm H (sig y) -> In (sig y) (states H) -> greedy H qh pi ->
          (forall j, In j (adm M y) -> Rabs (q y j - qh (sig y) j) <= Delta) ->
          Rabs (qp y (pi (sig y)) - qh (sig y) (pi (sig y))) <= Delta ->
          vmax M q y - qp y (pi (sig y)) <= 2 * Delta
""",
        assumes=(
            'π̂ greedy for Q̂; J(y) = J(σ y); σ y is an AIS state',
            ('|Q* − Q̂∘σ| ≤ Δ at y AND |Q^π̂ − Q̂∘σ| ≤ Δ at (y, π̂(σ y)): true for Δ_AIS, '
             'Δ_va, max e (greedy_policy_loss_value_aware, greedy_policy_loss_statewise), '
             'false for Δ_exact (exact_gap_policy_loss_not_2delta; use '
             'greedy_policy_loss_exact_gap: 2Δ_exact/(1 − γ̄))'),
        ),
    ),
    Lemma(
        term='C_F = 1 + (1 + γ̄)/(1 − κ) (§5, Lemma F)',
        python='icq.bounds.features.approximation_constant',
        coq_file='Approximation.v',
        coq_name='approximation_constant',
        test='property_tests/tests/test_lemma_ties.py::test_projected_fixed_point_is_within_c_f_times_eps_approx',
        control='property_tests/tests/test_lemma_ties.py::test_control_c_f_below_one_is_falsified',
        statement=r"""
        forall (V : Type) (dmu dsup : V -> V -> R) (span : V -> Prop) (Proj That : V -> V)
               (qstar qtilde qhat : V) (kappa g : R),
          (forall u v w, dmu u w <= dmu u v + dmu v w) ->
          (forall u v, dmu u v = dmu v u) ->
          (forall u v, dmu u v <= dsup u v) ->
          (forall u v, span u -> span v ->
             dmu (Proj (That u)) (Proj (That v)) <= kappa * dmu u v) ->
          (forall u v, dmu (Proj u) (Proj v) <= dmu u v) ->
          (forall u, span u -> Proj u = u) ->
          (forall u v, dsup (That u) (That v) <= g * dsup u v) ->
          That qhat = qhat ->
          span qstar -> Proj (That qstar) = qstar -> span qtilde ->
          kappa < 1 ->
          dmu qstar qhat <= (1 + (1 + g) / (1 - kappa)) * dsup qtilde qhat
""",
        assumes=(
            'd_μ satisfies the triangle inequality and is symmetric; d_μ ≤ d_∞',
            'ΠT̂ is a κ-contraction in d_μ on span(Φ) (A6), κ < 1',
            'Π is non-expansive in d_μ and fixes span(Φ)',
            'T̂ is γ̄-Lipschitz in d_∞ (Lemma C for the AIS model) and T̂Q̂* = Q̂*',
            ('Q_θ* = ΠT̂Q_θ* and Q_θ̃ lie in span(Φ); ε_approx = d_∞(Q_θ̃, Q̂*) over every '
             'pair T̂ reads'),
        ),
    ),
    Lemma(
        term='Theorem 1: the three-term decomposition with (a+b+c)² ≤ 3(a²+b²+c²) (§6)',
        python='icq.bounds.theorem.theorem1',
        coq_file='Decomposition.v',
        coq_name='three_term_decomposition',
        test='property_tests/tests/test_lemma_ties.py::test_three_term_bound_dominates_the_error_and_the_minkowski_form',
        control='property_tests/tests/test_lemma_ties.py::test_control_three_terms_without_the_factor_three_is_falsified',
        statement=r"""
        forall (W : Type) (ws : list W) (p X A B C : W -> R),
          (forall w, In w ws -> 0 <= p w) ->
          (forall w, In w ws -> 0 <= X w <= A w + B w + C w) ->
          fsum ws (fun w => p w * X w ^ 2)
            <= 3 * (fsum ws (fun w => p w * A w ^ 2) + fsum ws (fun w => p w * B w ^ 2)
                    + fsum ws (fun w => p w * C w ^ 2))
""",
        assumes=(
            'weights p ≥ 0 on finitely many outcomes',
            '0 ≤ X ≤ A + B + C on every outcome (triangle inequality with Lemma F and Lemma A)',
            ('imported, not proved: the Markov-noise SA bound of Bhandari, Russo & Singal '
             '(2018) Thm 3(c) with 1 − κ, premise markov_noise_sa_bound of theorem1_bound'),
        ),
    ),
    Lemma(
        term='m = 1/d̄(t₀), ρ = d̄(t₀)^{1/t₀}: d(t) ≤ m ρ^t (§4)',
        python='icq.reference.exact.mixing.mixing_time',
        coq_file='Mixing.v',
        coq_name='mixing_envelope',
        test='property_tests/tests/test_lemma_ties.py::test_exact_mixing_profile_is_below_the_envelope',
        control='property_tests/tests/test_lemma_ties.py::test_control_envelope_without_its_prefactor_is_falsified',
        statement=r"""
        forall (d : nat -> R) (dbar : R) (t0 : nat),
          (0 < t0)%nat -> 0 < dbar < 1 ->
          (forall t, d t <= dbar ^ (t / t0)) ->
          forall t, d t <= (1 / dbar) * Rpower (Rpower dbar (1 / INR t0)) (INR t)
""",
        assumes=(
            ('d(t) ≤ d̄(t₀)^⌊t/t₀⌋ for all t (submultiplicativity of d̄, Levin–Peres–Wilmer '
             '§4.4; computed, not proved here)'),
            '0 < d̄(t₀) < 1, t₀ ≥ 1',
        ),
    ),
    Lemma(
        term=('T₀ and the sample budget: the envelope of the mixing residual is non-increasing'
              ' on [T₀, ∞) (§6)'),
        python='icq.bounds.budget.sample_budget',
        coq_file='Budget.v',
        coq_name='budget_envelope_decreasing',
        test='property_tests/tests/test_lemma_ties.py::test_budget_envelope_does_not_increase_beyond_T0',
        control='property_tests/tests/test_lemma_ties.py::test_control_envelope_from_T_equal_one_is_falsified',
        statement=_ENVELOPE_DECREASING,
        assumes=(
            ('A = 0, c = G²/((1 − κ)²ω²) ≥ 0 (the MIX_RATE envelope), t₀ > 0, 0 < d̄ < 1, '
             'a = (1 − κ)ω > 0'),
            'T₀ = max(e, exp(max(0, 2 − (33 + 24t₀) ln(1/d̄)/(24t₀)))/a − 1) ≤ T₁ ≤ T₂ (budget_T0)',
        ),
    ),
    Lemma(
        term='T*: the least T ≥ T₀ with the envelope ≤ target², found by integer bisection (§6)',
        python='icq.bounds.budget.sample_budget',
        coq_file='Budget.v',
        coq_name='bisection_finds_least',
        test='property_tests/tests/test_lemma_ties.py::test_clock_budget_is_the_least_time_beyond_T0',
        control='property_tests/tests/test_lemma_ties.py::test_control_doubling_without_bisection_is_falsified',
        statement=r"""
        forall (f : R -> R) (c T0 : R) (lo hi : nat),
          (forall x y, T0 <= x -> x <= y -> f y <= f x) ->
          T0 <= INR lo -> (lo < hi)%nat -> c < f (INR lo) -> f (INR hi) <= c ->
          f (INR (bisect f c lo hi)) <= c /\
          (forall n : nat, T0 <= INR n -> f (INR n) <= c -> (bisect f c lo hi <= n)%nat)
""",
        assumes=(
            'f non-increasing on [T₀, ∞) (budget_envelope_decreasing)',
            'integers T₀ ≤ lo < hi with f(lo) > target² ≥ f(hi)',
        ),
    ),
    Lemma(
        term='T₀ of the budget envelope (§6)',
        python='icq.bounds.budget.budget_T0',
        coq_file='Budget.v',
        coq_name='budget_envelope_decreasing',
        test='property_tests/tests/test_lemma_ties.py::test_budget_envelope_does_not_increase_beyond_T0',
        control='property_tests/tests/test_lemma_ties.py::test_control_envelope_from_T_equal_one_is_falsified',
        statement=_ENVELOPE_DECREASING,
        assumes=(
            'as for sample_budget',
        ),
    ),
    Lemma(
        term='γ^{T_max} ≤ E[γ^τ] ≤ γ (§1, §5)',
        python='icq.bounds.terms.duration_discount',
        coq_file='Durations.v',
        coq_name='discount_duration_bounds',
        test='property_tests/tests/test_lemma_ties.py::test_discount_of_the_durations_is_between_its_bounds',
        control='property_tests/tests/test_lemma_ties.py::test_control_upper_bound_gamma_squared_is_falsified',
        statement=r"""
        forall (gamma : R) (Tmax : nat) (p : nat -> R),
          0 < gamma < 1 ->
          (forall t, In t (seq 1 Tmax) -> 0 <= p t) ->
          fsum (seq 1 Tmax) p = 1 ->
          gamma ^ Tmax <= fsum (seq 1 Tmax) (fun t => p t * gamma ^ t) <= gamma
""",
        assumes=(
            '0 < γ < 1',
            'p ≥ 0 on 1..T_max with Σ p = 1',
        ),
    ),
    Lemma(
        term=('d(t) ≤ max_y [P_y(T > t) + Σ_{s≤t} P_y(T = s) d_ν₀(t − s)], T the first END '
              'restart: the restart decomposition of the behaviour chain (§9)'),
        python='icq.reference.exact.mixing.restart_bound',
        coq_file='Mixing.v',
        coq_name='restart_decomposition',
        test='property_tests/tests/test_mixing_restart.py::test_restart_bound_is_never_below_exact_mixing',
        control='property_tests/tests/test_mixing_restart.py::test_control_without_the_survival_term_is_falsified',
        statement=r"""
        forall (Z S : Type) (zs : list Z) (ss : list S) (a mu : Z -> R) (p : S -> R)
               (q : S -> Z -> R),
          (forall z, In z zs -> 0 <= a z) ->
          (forall z, In z zs -> 0 <= mu z) ->
          (forall s, In s ss -> 0 <= p s) ->
          fsum zs mu = 1 ->
          fsum zs a + fsum ss p = 1 ->
          fsum zs (fun z => Rabs (a z + fsum ss (fun s => p s * q s z) - mu z)) / 2
            <= fsum zs a + fsum ss (fun s => p s * (fsum zs (fun z => Rabs (q s z - mu z)) / 2))
""",
        assumes=(
            ('P_b = A + e ν₀ᵀ (episodes restart from ν₀ on the END outcome): from y, '
             'P_b^t(y,·) = A^t(y,·) + Σ_{s≤t} P_y(T = s) ν₀P_b^{t−s} with a = A^t(y,·) ≥ 0 of '
             'mass P_y(T > t), p_s = P_y(T = s) ≥ 0, q_s = ν₀P_b^{t−s}; the masses add to 1'),
            'μ ≥ 0 with Σ μ = 1',
            ('the bound is then maximised over y; it goes to 0 only when END is reachable '
             'from every state'),
        ),
    ),
    Lemma(
        term='‖Q − Q̂*‖∞ ≤ ‖ĤQ − Q‖∞/(1 − γ̂), the Bellman-residual certificate (§8)',
        python='icq.bounds.residual.residual_certificate',
        coq_file='Residual.v',
        coq_name='residual_certificate',
        test='property_tests/tests/test_residual.py::test_residual_certificate_never_below_the_true_error',
        control='property_tests/tests/test_residual.py::test_control_certificate_without_the_contraction_factor_is_falsified',
        statement=r"""
  forall (S B : Type) (M : smdp S B) (g : R) (q qs : S -> B -> R),
    kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 -> bellman_fixed_point M qs ->
    supnorm M (fun x j => q x j - qs x j)
      <= supnorm M (fun x j => bellman M q x j - q x j) / (1 - g).
""",
        assumes=(
            'K̂ ≥ 0 with row mass ≤ γ̂, 0 ≤ γ̂ < 1 (γ̂ = the largest row mass of K̂)',
            'Q̂* solves the AIS Bellman equation (bellman_fixed_point)',
            'Q any table',
        ),
    ),
    Lemma(
        term='|Q − Q̂*| ≤ e pointwise for every e ≥ |ĤQ − Q| + K̂ max e (§8)',
        python='icq.bounds.residual.residual_certificate',
        coq_file='Residual.v',
        coq_name='residual_certificate_pointwise',
        test='property_tests/tests/test_residual.py::test_residual_certificate_never_below_the_true_error',
        control='property_tests/tests/test_residual.py::test_control_certificate_without_the_contraction_factor_is_falsified',
        statement=r"""
  forall (S B : Type) (M : smdp S B) (g : R) (q qs e : S -> B -> R),
    kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 -> bellman_fixed_point M qs ->
    (forall x j, In x (states M) -> In j (adm M x) ->
       Rabs (bellman M q x j - q x j) + fsum (states M) (fun x' => kern M x j x' * vmax M e x')
         <= e x j) ->
    forall x j, In x (states M) -> In j (adm M x) -> Rabs (q x j - qs x j) <= e x j.
""",
        assumes=(
            'K̂ ≥ 0 with row mass ≤ γ̂ < 1; Q̂* the fixed point',
            'e a post-fixed point of e ↦ |ĤQ − Q| + K̂ max e (the code reports e_k + slack, one)',
        ),
    ),
    Lemma(
        term='Theorem 1, Minkowski form: E‖·‖² ≤ (C_F ε_approx + Δ + √residual)² (§6)',
        python='icq.bounds.theorem.theorem1',
        coq_file='Residual.v',
        coq_name='minkowski_combination',
        test='property_tests/tests/test_lemma_ties.py::test_minkowski_bound_dominates_every_admissible_error',
        control='property_tests/tests/test_lemma_ties.py::test_control_minkowski_without_cross_terms_is_falsified',
        statement=r"""
  forall (W : Type) (ws : list W) (p X C : W -> R) (a b r : R),
    (forall w, In w ws -> 0 <= p w) -> fsum ws p = 1 ->
    0 <= a -> 0 <= b ->
    (forall w, In w ws -> 0 <= C w /\ 0 <= X w <= a + b + C w) ->
    fsum ws (fun w => p w * C w ^ 2) <= r ->
    fsum ws (fun w => p w * X w ^ 2) <= (a + b + sqrt r) ^ 2.
""",
        assumes=(
            'weights p ≥ 0 summing to 1 over finitely many outcomes',
            '0 ≤ X ≤ a + b + C with constants a = C_F ε_approx ≥ 0 (Lemma F), b = Δ ≥ 0 (Lemma A)',
            ('E[C²] ≤ r, r = MIX_RATE + 4R_θ²d(t_b): imported (Bhandari, Russo & Singal 2018 '
             'Thm 3(c), conservative reading) plus the start-law correction'),
        ),
    ),
    Lemma(
        term=('(C_F ε_approx + Δ + √r)² ≤ 3(C_F²ε_approx² + Δ² + r): Minkowski never above '
              'the three-term form (§6)'),
        python='icq.bounds.theorem.theorem1',
        coq_file='Residual.v',
        coq_name='minkowski_le_three_terms',
        test='property_tests/tests/test_lemma_ties.py::test_three_term_bound_dominates_the_error_and_the_minkowski_form',
        control='property_tests/tests/test_lemma_ties.py::test_control_three_terms_without_the_factor_three_is_falsified',
        statement=r"""
  forall a b r : R, 0 <= r -> (a + b + sqrt r) ^ 2 <= 3 * (a ^ 2 + b ^ 2 + r).
""",
        assumes=(
            'r ≥ 0',
        ),
    ),
    Lemma(
        term=('P_b^t = A^t + Σ_{s=1..t} A^{s−1} e ν₀ P_b^{t−s}: the path identity behind the '
              'restart decomposition (§9)'),
        python='icq.reference.exact.mixing.restart_bound',
        coq_file='Restart.v',
        coq_name='restart_path_identity',
        test='property_tests/tests/test_lemma_ties.py::test_path_identity_of_the_behaviour_chain',
        control=('property_tests/tests/test_lemma_ties.py::'
                 'test_control_path_identity_shifted_by_one_step_is_falsified'),
        statement=r"""
  forall (Z : Type) (zs : list Z) (A : Z -> Z -> R) (e nu v : Z -> R) (t : nat) (z : Z),
    rpow zs (fun y w => A y w + e y * nu w) t v z
      = rpow zs A t v z
        + fsum (seq 0 t) (fun k => fsum zs (fun y => rpow zs A k v y * e y)
                                   * rpow zs (fun y w => A y w + e y * nu w) (t - 1 - k) nu z)
""",
        assumes=(
            'none: an identity of finite matrices (v any row vector; v = δ_y gives row y)',
        ),
    ),
    Lemma(
        term=('B_0 = 1, B_t = A B_{t−1} + e·d_ν₀(t − 1) computes B_t = A^t 1 + Σ_{s=1..t} '
              'A^{s−1}e·d_ν₀(t − s) (§9)'),
        python='icq.reference.exact.mixing.restart_bound',
        coq_file='Restart.v',
        coq_name='restart_recursion',
        test=('property_tests/tests/test_lemma_ties.py::'
              'test_restart_bound_is_the_direct_sum_of_the_decomposition'),
        control=('property_tests/tests/test_lemma_ties.py::'
                 'test_control_direct_sum_with_a_shifted_distance_is_falsified'),
        statement=r"""
  forall (Z : Type) (zs : list Z) (A : Z -> Z -> R) (e : Z -> R) (d : nat -> R) (t : nat)
         (y : Z),
    brec zs A e d t y
      = cpow zs A t (fun _ => 1) y + fsum (seq 0 t) (fun k => cpow zs A k e y * d (t - 1 - k)%nat)
""",
        assumes=(
            'none: an identity of finite sums (d any sequence)',
        ),
    ),
    Lemma(
        term=('d(t) ≤ max_y B_t(y) with B_t by the recursion: the restart bound end to end, for '
              'every start law (§9)'),
        python='icq.reference.exact.mixing.restart_bound',
        coq_file='Restart.v',
        coq_name='restart_bound_sound',
        test=('property_tests/tests/test_mixing_restart.py::'
              'test_restart_bound_is_never_below_exact_mixing'),
        control=('property_tests/tests/test_mixing_restart.py::'
                 'test_control_without_the_survival_term_is_falsified'),
        statement=r"""
  forall (Z : Type) (zs : list Z) (A : Z -> Z -> R) (e nu mu v : Z -> R) (t : nat),
    (forall y z, In y zs -> In z zs -> 0 <= A y z) ->
    (forall y, In y zs -> 0 <= e y) ->
    (forall y, In y zs -> fsum zs (fun z => A y z) + e y = 1) ->
    (forall z, In z zs -> 0 <= mu z) -> fsum zs mu = 1 ->
    (forall y, In y zs -> 0 <= v y) -> fsum zs v = 1 ->
    fsum zs (fun z => Rabs (rpow zs (fun y w => A y w + e y * nu w) t v z - mu z)) / 2
      <= fsum zs (fun y => v y * brec zs A e
           (fun u => fsum zs (fun z => Rabs (rpow zs (fun y w => A y w + e y * nu w) u nu z
                                             - mu z)) / 2) t y)
""",
        assumes=(
            'A ≥ 0, e ≥ 0 and every row of P_b = A + e ν₀ᵀ has mass Σ_z A(y,z) + e(y) = 1',
            'μ ≥ 0 with Σ μ = 1 (stationarity is not needed); v ≥ 0 with Σ v = 1',
            ('nothing on ν₀ (its mass enters only through P_b\'s row sums); v = δ_y gives '
             'd(t) ≤ max_y B_t(y)'),
        ),
    ),
    Lemma(
        term=('4R_θ²·d(t_b): a start law at total variation d changes the expectation of a '
              'function with values in [0, B] by at most B·d (§6)'),
        python='icq.bounds.budget.sample_budget',
        coq_file='BurnIn.v',
        coq_name='burn_in_shift',
        test=('property_tests/tests/test_lemma_ties.py::'
              'test_start_law_shift_is_at_most_B_times_the_start_distance'),
        control='property_tests/tests/test_lemma_ties.py::test_control_half_the_shift_bound_is_falsified',
        statement=r"""
  forall (A : Type) (l : list A) (p q f : A -> R) (B : R),
    (forall i, In i l -> 0 <= f i <= B) ->
    fsum l p = fsum l q ->
    Rabs (fsum l (fun i => p i * f i) - fsum l (fun i => q i * f i))
      <= B * (fsum l (fun i => Rabs (p i - q i)) / 2)
""",
        assumes=(
            '0 ≤ f ≤ B on the finite set (B = 4R_θ²: the squared error inside the ball)',
            'p, q of equal total mass (signs and masses otherwise free); TV = ½Σ|p − q|',
        ),
    ),
)
