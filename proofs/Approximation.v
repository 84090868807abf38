(** * Lemma F: the approximation constant C_F = 1 + (1 + γ̄)/(1 − κ) (docs/theory.md §5)

    Q_θ* = Π T̂ Q_θ* is the projected fixed point, Q_θ̃ any element of span(Φ) (the
    Chebyshev fit or the μ-projection of Q̂* ), ε_approx = ‖Q_θ̃ − Q̂*‖∞.  The argument:

      ‖Q_θ* − Q̂*‖_μ ≤ ‖Q_θ* − Q_θ̃‖_μ + ‖Q_θ̃ − Q̂*‖_μ                   (triangle)
      ‖Q_θ* − Q_θ̃‖_μ = ‖ΠT̂Q_θ* − Q_θ̃‖_μ
                     ≤ ‖ΠT̂Q_θ* − ΠT̂Q_θ̃‖_μ + ‖ΠT̂Q_θ̃ − ΠQ_θ̃‖_μ        (Π fixes span(Φ))
                     ≤ κ ‖Q_θ* − Q_θ̃‖_μ + ‖T̂Q_θ̃ − Q_θ̃‖_μ               (A6; ‖Π‖_μ ≤ 1)
      ‖T̂Q_θ̃ − Q_θ̃‖_μ ≤ ‖T̂Q_θ̃ − T̂Q̂*‖_μ + ‖Q̂* − Q_θ̃‖_μ                 (since T̂Q̂* = Q̂* )
                     ≤ ‖T̂Q_θ̃ − T̂Q̂*‖∞ + ε ≤ (1 + γ̄) ε                     (‖·‖_μ ≤ ‖·‖∞; Lemma C)

    so ‖Q_θ* − Q_θ̃‖_μ ≤ (1+γ̄)ε/(1−κ) and the constant follows.  The facts are stated
    for an abstract set of value functions with two distances: d_μ (the weighted L2
    distance of docs/theory.md §5) and d_∞ (sup distance over every pair that T̂ reads:
    the pairs of the support and all admissible pairs at their successors). *)

From Coq Require Import Reals Lra.
Local Open Scope R_scope.

Theorem approximation_constant :
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
    dmu qstar qhat <= (1 + (1 + g) / (1 - kappa)) * dsup qtilde qhat.
Proof.
  intros V dmu dsup span Proj That qstar qtilde qhat kappa g
         Htri Hsym Hmu_sup Hcontr Hproj Hfix_span HT HThat Hs_star Hstar Hs_tilde Hk.
  set (eps := dsup qtilde qhat).
  set (A := dmu qstar qtilde).
  (* ‖T̂Q_θ̃ − Q_θ̃‖_μ ≤ (1 + γ̄) ε *)
  assert (HB : dmu (That qtilde) qtilde <= (1 + g) * eps).
  { pose proof (Htri (That qtilde) (That qhat) qtilde) as T1.
    pose proof (Hmu_sup (That qtilde) (That qhat)) as T2.
    pose proof (HT qtilde qhat) as T3.
    rewrite HThat in T1, T2, T3.
    pose proof (Hmu_sup qtilde qhat) as T4.
    rewrite (Hsym qhat qtilde) in T1.
    unfold eps; lra. }
  (* A ≤ κ A + (1 + γ̄) ε *)
  assert (HA : A <= kappa * A + (1 + g) * eps).
  { unfold A.
    pose proof (Htri (Proj (That qstar)) (Proj (That qtilde)) qtilde) as T1.
    rewrite Hstar in T1.
    pose proof (Hcontr qstar qtilde Hs_star Hs_tilde) as T2.
    rewrite Hstar in T2.
    pose proof (Hproj (That qtilde) qtilde) as T3.
    rewrite (Hfix_span qtilde Hs_tilde) in T3.
    lra. }
  assert (HA' : A <= (1 + g) * eps / (1 - kappa)).
  { apply Rmult_le_reg_r with (1 - kappa); [lra|].
    unfold Rdiv; rewrite Rmult_assoc, Rinv_l by lra; lra. }
  pose proof (Htri qstar qtilde qhat) as T.
  pose proof (Hmu_sup qtilde qhat) as T'.
  fold A in T; fold eps in T'.
  replace ((1 + (1 + g) / (1 - kappa)) * eps) with (eps + (1 + g) * eps / (1 - kappa))
    by (field; lra).
  lra.
Qed.
