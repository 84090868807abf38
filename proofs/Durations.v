(** * Durations and the effective discount (docs/theory.md §1, §5)

    For a duration τ ∈ {1, …, T_max} with law p, the per-invocation discount is
    E[γ^τ] = Σ_t p(t) γ^t.

    - [discount_duration_bounds]: γ^{T_max} ≤ E[γ^τ] ≤ γ (τ ≥ 1 is what makes γ̄ ≤ γ < 1).
    - [truncated_geometric_discount]: for the truncated geometric law
      P(τ = t) = p (1−p)^{t−1} (t < T_max), P(τ = T_max) = (1−p)^{T_max−1},
      E[γ^τ] = p γ (1 − q^{T_max−1})/(1 − q) + q^{T_max−1} γ with q = (1 − p) γ.
    - [trunc_geom_is_distribution]: that law is a probability distribution. *)

From Coq Require Import Reals Lra Lia Psatz List.
From ICQ Require Import Finite.
Import ListNotations.
Local Open Scope R_scope.

Theorem discount_duration_bounds :
  forall (gamma : R) (Tmax : nat) (p : nat -> R),
    0 < gamma < 1 ->
    (forall t, In t (seq 1 Tmax) -> 0 <= p t) ->
    fsum (seq 1 Tmax) p = 1 ->
    gamma ^ Tmax <= fsum (seq 1 Tmax) (fun t => p t * gamma ^ t) <= gamma.
Proof.
  intros gamma Tmax p Hg Hp Hsum.
  split.
  - apply Rle_trans with (fsum (seq 1 Tmax) (fun t => p t * gamma ^ Tmax)).
    + rewrite fsum_scal_r, Hsum; lra.
    + apply fsum_le; intros t Ht; apply in_seq in Ht.
      apply Rmult_le_compat_l; [apply Hp, in_seq; exact Ht|].
      apply pow_le_decr; [lra | lia].
  - apply Rle_trans with (fsum (seq 1 Tmax) (fun t => p t * gamma ^ 1)).
    + apply fsum_le; intros t Ht; apply in_seq in Ht.
      apply Rmult_le_compat_l; [apply Hp, in_seq; exact Ht|].
      apply pow_le_decr; [lra | lia].
    + rewrite fsum_scal_r, Hsum; lra.
Qed.

Definition trunc_geom_pmf (p : R) (Tmax t : nat) : R :=
  if Nat.ltb t Tmax then p * (1 - p) ^ (t - 1) else (1 - p) ^ (Tmax - 1).

(** Σ_{t=1}^{n} x^{t−1} · (1 − x) = 1 − x^n *)
Lemma geometric_sum (x : R) (n : nat) :
  fsum (seq 1 n) (fun t => x ^ (t - 1)) * (1 - x) = 1 - x ^ n.
Proof.
  induction n as [|n IH]; [simpl; ring|].
  rewrite seq_S, fsum_app, fsum_cons, fsum_nil, Rplus_0_r.
  replace (1 + n - 1)%nat with n by lia.
  rewrite Rmult_plus_distr_r, IH; simpl; ring.
Qed.

Theorem trunc_geom_is_distribution :
  forall (p : R) (Tmax : nat),
    0 <= p <= 1 -> (1 <= Tmax)%nat ->
    (forall t, In t (seq 1 Tmax) -> 0 <= trunc_geom_pmf p Tmax t) /\
    fsum (seq 1 Tmax) (trunc_geom_pmf p Tmax) = 1.
Proof.
  intros p Tmax Hp HT.
  split.
  - intros t _; unfold trunc_geom_pmf; destruct (Nat.ltb t Tmax);
      [apply Rmult_le_pos; [lra|] |]; apply pow_le; lra.
  - destruct Tmax as [|n]; [lia|].
    rewrite seq_S, fsum_app, fsum_cons, fsum_nil, Rplus_0_r.
    unfold trunc_geom_pmf at 2.
    replace (Nat.ltb (1 + n) (S n)) with false by (symmetry; apply Nat.ltb_ge; lia).
    replace (S n - 1)%nat with n by lia.
    rewrite (fsum_ext _ _ (fun t => p * (1 - p) ^ (t - 1))).
    + rewrite fsum_scal_l.
      pose proof (geometric_sum (1 - p) n) as G.
      replace (1 - (1 - p)) with p in G by ring.
      replace (p * fsum (seq 1 n) (fun t => (1 - p) ^ (t - 1)))
        with (fsum (seq 1 n) (fun t => (1 - p) ^ (t - 1)) * p) by ring.
      rewrite G; ring.
    + intros t Ht; apply in_seq in Ht; unfold trunc_geom_pmf.
      replace (Nat.ltb t (S n)) with true by (symmetry; apply Nat.ltb_lt; lia); reflexivity.
Qed.

Theorem truncated_geometric_discount :
  forall (gamma p : R) (Tmax : nat),
    0 < gamma < 1 -> 0 <= p <= 1 -> (1 <= Tmax)%nat ->
    fsum (seq 1 Tmax) (fun t => trunc_geom_pmf p Tmax t * gamma ^ t)
    = p * gamma * (1 - ((1 - p) * gamma) ^ (Tmax - 1)) / (1 - (1 - p) * gamma)
      + ((1 - p) * gamma) ^ (Tmax - 1) * gamma.
Proof.
  intros gamma p Tmax Hg Hp HT.
  assert (Hq : (1 - p) * gamma < 1) by nra.
  destruct Tmax as [|n]; [lia|].
  replace (S n - 1)%nat with n by lia.
  rewrite seq_S, fsum_app, fsum_cons, fsum_nil, Rplus_0_r.
  unfold trunc_geom_pmf at 2.
  replace (Nat.ltb (1 + n) (S n)) with false by (symmetry; apply Nat.ltb_ge; lia).
  replace (S n - 1)%nat with n by lia.
  rewrite (fsum_ext _ _ (fun t => p * gamma * ((1 - p) * gamma) ^ (t - 1))).
  - rewrite fsum_scal_l.
    pose proof (geometric_sum ((1 - p) * gamma) n) as G.
    replace (fsum (seq 1 n) (fun t => ((1 - p) * gamma) ^ (t - 1)))
      with ((1 - ((1 - p) * gamma) ^ n) / (1 - (1 - p) * gamma))
      by (rewrite <- G; field; lra).
    replace (1 + n)%nat with (S n) by lia.
    rewrite Rpow_mult_distr; simpl pow.
    field; lra.
  - intros t Ht; apply in_seq in Ht; unfold trunc_geom_pmf.
    replace (Nat.ltb t (S n)) with true by (symmetry; apply Nat.ltb_lt; lia).
    replace t with (S (t - 1)) at 2 by lia.
    rewrite Rpow_mult_distr; simpl pow; ring.
Qed.
