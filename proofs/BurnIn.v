(** * The burn-in term of Theorem 1 (docs/theory.md §6)

    Inside the ball ‖θ‖ ≤ R_θ the squared error lies in [0, 4R_θ²].  Changing the law of the
    state at the end of the burn-in from q to p (equal total mass) moves the expectation of a
    function with values in [0, B] by at most B·TV(p, q), TV = ½Σ|p − q|: with B = 4R_θ² and
    TV = d(t_b) this is the summand 4R_θ²·d(t_b) of the estimation term.  The factor ½ comes
    from centring f at B/2, which the equal masses allow. *)

From Coq Require Import Reals Lra List.
From ICQ Require Import Finite.
Local Open Scope R_scope.

Theorem burn_in_shift :
  forall (A : Type) (l : list A) (p q f : A -> R) (B : R),
    (forall i, In i l -> 0 <= f i <= B) ->
    fsum l p = fsum l q ->
    Rabs (fsum l (fun i => p i * f i) - fsum l (fun i => q i * f i))
      <= B * (fsum l (fun i => Rabs (p i - q i)) / 2).
Proof.
  intros A l p q f B Hf Hmass.
  assert (E : fsum l (fun i => p i * f i) - fsum l (fun i => q i * f i)
              = fsum l (fun i => (p i - q i) * (f i - B / 2))).
  { assert (Z : fsum l (fun i => (p i - q i) * (B / 2)) = 0)
      by (rewrite fsum_scal_r, fsum_minus, Hmass; ring).
    rewrite <- fsum_minus, <- (Rminus_0_r (fsum l (fun i => p i * f i - q i * f i))), <- Z,
      <- fsum_minus.
    apply fsum_ext; intros i _; ring. }
  rewrite E.
  eapply Rle_trans; [apply fsum_abs|].
  unfold Rdiv; rewrite <- fsum_scal_r, <- fsum_scal_l.
  apply fsum_le; intros i Hi.
  rewrite Rabs_mult.
  specialize (Hf i Hi).
  assert (Hc : Rabs (f i - B * / 2) <= B * / 2) by (apply Rabs_le; lra).
  pose proof (Rabs_pos (p i - q i)).
  replace (B * (Rabs (p i - q i) * / 2)) with (Rabs (p i - q i) * (B * / 2)) by ring.
  apply Rmult_le_compat_l; [lra | exact Hc].
Qed.
