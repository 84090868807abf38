(** * The three-term decomposition of Theorem 1 (docs/theory.md §6)

    ‖Q_θ_T∘σ − Q*‖_μ ≤ ‖Q_θ_T − Q_θ*‖_μ + ‖Q_θ* − Q̂*‖_μ + ‖Q̂*∘σ − Q*‖_μ
                     ≤ (estimation error) + C_F ε_approx (Lemma F) + Δ (Lemma A),
    then (a + b + c)² ≤ 3(a² + b² + c²) and an expectation over the learner's randomness.

    The run of T handoffs of a finite model has finitely many outcomes, so the
    expectation is a finite weighted sum [fsum ws (fun w => p w * X w)].

    Imported, not proved: the Markov-noise stochastic-approximation bound of
    Bhandari, Russo & Singal (2018, Theorem 3(c)), restated with (1 − κ) in place of
    (1 − γ); it is the named premise [markov_noise_sa_bound] of [theorem1_bound]. *)

From Coq Require Import Reals Lra Psatz List.
From ICQ Require Import Finite.
Import ListNotations.
Local Open Scope R_scope.

Theorem sq_sum3_le : forall a b c : R, (a + b + c) ^ 2 <= 3 * (a ^ 2 + b ^ 2 + c ^ 2).
Proof.
  intros a b c.
  assert (0 <= (a - b) ^ 2 + (b - c) ^ 2 + (a - c) ^ 2) by
    (repeat apply Rplus_le_le_0_compat; apply pow2_ge_0).
  nra.
Qed.

(** If 0 ≤ x ≤ a + b + c (x a norm, the bound a triangle inequality) then
    x² ≤ 3a² + 3b² + 3c². *)
Theorem three_term_decomposition_pointwise :
  forall x a b c : R, 0 <= x -> x <= a + b + c -> x ^ 2 <= 3 * a ^ 2 + 3 * b ^ 2 + 3 * c ^ 2.
Proof.
  intros x a b c Hx Hle.
  pose proof (sq_sum3_le a b c).
  assert (x ^ 2 <= (a + b + c) ^ 2) by (apply pow_incr; lra).
  lra.
Qed.

(** Expectation form over a finite weighting p ≥ 0:
    E[X²] ≤ 3 (E[A²] + E[B²] + E[C²]) whenever 0 ≤ X ≤ A + B + C on the support. *)
Theorem three_term_decomposition :
  forall (W : Type) (ws : list W) (p X A B C : W -> R),
    (forall w, In w ws -> 0 <= p w) ->
    (forall w, In w ws -> 0 <= X w <= A w + B w + C w) ->
    fsum ws (fun w => p w * X w ^ 2)
      <= 3 * (fsum ws (fun w => p w * A w ^ 2) + fsum ws (fun w => p w * B w ^ 2)
              + fsum ws (fun w => p w * C w ^ 2)).
Proof.
  intros W ws p X A B C Hp HX.
  rewrite <- !fsum_plus, <- fsum_scal_l; apply fsum_le; intros w Hw.
  destruct (HX w Hw) as [HX0 HX1].
  pose proof (three_term_decomposition_pointwise (X w) (A w) (B w) (C w) HX0 HX1).
  pose proof (Hp w Hw).
  nra.
Qed.

(** Imported result (Bhandari, Russo & Singal 2018, Theorem 3(c), with 1 − κ for 1 − γ,
    docs/theory.md §6): the averaged projected iterate θ̄_T after T steps with
    α_t = 1/((1 − κ) ω (t + 1)) has expected squared μ-error to Q_θ* at most
    G² (9 + 24 (τ_mix(α_T) + 1)) (1 + ln T) / (T (1 − κ)² ω²): the cited bound is on
    ‖θ_T − θ*‖², and ‖φ‖ ≤ 1 makes ‖Q_θ − Q_θ*‖_μ ≤ ‖θ − θ*‖ (conservative: ω² and τ_mix + 1;
    see docs/errata.md item 2).  [est_err w] is ‖Q_θ_T − Q_θ*‖_μ on outcome w,
    [tmix] is τ_mix(α_T). *)
Definition markov_noise_sa_bound {W : Type} (ws : list W) (p est_err : W -> R)
  (G kappa omega tmix T : R) : Prop :=
  fsum ws (fun w => p w * est_err w ^ 2)
    <= G ^ 2 * (9 + 24 * (tmix + 1)) * (1 + ln T) / (T * (1 - kappa) ^ 2 * omega ^ 2).

(** Theorem 1 of docs/theory.md §6, given the imported bound: if on every outcome the error
    to Q* is at most est_err + C_F ε_approx + Δ (triangle inequality with Lemma F and
    Lemma A), then E‖Q_θ_T∘σ − Q*‖²_μ ≤ 3 C_F² ε² + 3 Δ² + 3 · (mixing residual). *)
Theorem theorem1_bound :
  forall (W : Type) (ws : list W) (p err est_err : W -> R)
         (CF eps_approx Delta G kappa omega tmix T : R),
    markov_noise_sa_bound ws p est_err G kappa omega tmix T ->
    (forall w, In w ws -> 0 <= p w) -> fsum ws p = 1 ->
    (forall w, In w ws -> 0 <= err w <= est_err w + CF * eps_approx + Delta) ->
    fsum ws (fun w => p w * err w ^ 2)
      <= 3 * (CF * eps_approx) ^ 2 + 3 * Delta ^ 2
         + 3 * (G ^ 2 * (9 + 24 * (tmix + 1)) * (1 + ln T) / (T * (1 - kappa) ^ 2 * omega ^ 2)).
Proof.
  intros W ws p err est_err CF eps_approx Delta G kappa omega tmix T Hsa Hp Hp1 Herr.
  pose proof (three_term_decomposition W ws p err est_err (fun _ => CF * eps_approx)
                (fun _ => Delta) Hp Herr) as D.
  rewrite fsum_scal_r with (f := p) (c := (CF * eps_approx) ^ 2) in D.
  rewrite fsum_scal_r with (f := p) (c := Delta ^ 2) in D.
  unfold markov_noise_sa_bound in Hsa; rewrite Hp1 in D; lra.
Qed.
