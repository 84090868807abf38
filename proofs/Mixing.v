(** * The mixing envelope of the behaviour chain (docs/theory.md §4)

    d(t) = max_y ½‖P_b^t(y,·) − μ‖₁ and d̄(t) = max_{y,y'} ½‖P^t(y,·) − P^t(y',·)‖₁.
    The premise d(t) ≤ d̄(t₀)^⌊t/t₀⌋ is the standard consequence of d ≤ d̄ and the
    submultiplicativity of d̄ (Levin, Peres & Wilmer, Markov Chains and Mixing Times,
    §4.4); the Python code computes d̄(t₀) and relies on it.  From it:

    - [mixing_envelope]   d(t) ≤ m ρ^t with m = 1/d̄(t₀), ρ = d̄(t₀)^{1/t₀}
    - [tau_mix_envelope]  τ_mix(ε) = min{t : d(t) ≤ ε} ≤ t₀ (1 + ln(1/ε)/ln(1/d̄(t₀))),
                          and d(t') ≤ ε for every later t'. *)

From Coq Require Import Reals Lra Lia Psatz ZArith.
From ICQ Require Import Finite.
Local Open Scope R_scope.

Lemma exp_le_mono (x y : R) : x <= y -> exp x <= exp y.
Proof.
  intros H; destruct (Rle_lt_or_eq_dec x y H) as [Hlt | ->];
    [apply Rlt_le, exp_increasing; exact Hlt | apply Rle_refl].
Qed.

Lemma ln_neg_lt1 (x : R) : 0 < x < 1 -> ln x < 0.
Proof. intros [H0 H1]; rewrite <- ln_1; apply ln_increasing; lra. Qed.

(** ⌊t/t₀⌋ ≥ t/t₀ − 1 *)
Lemma nat_div_lower (t t0 : nat) : (0 < t0)%nat -> INR t / INR t0 - 1 <= INR (t / t0).
Proof.
  intros Ht0.
  pose proof (Nat.div_mod t t0 ltac:(lia)) as Hdm.
  pose proof (Nat.mod_upper_bound t t0 ltac:(lia)) as Hr.
  set (k := (t / t0)%nat) in *; set (r := (t mod t0)%nat) in *.
  assert (Et : INR t = INR t0 * INR k + INR r) by (rewrite Hdm at 1; rewrite plus_INR, mult_INR; ring).
  assert (Hr' : INR r < INR t0) by (apply lt_INR; exact Hr).
  assert (Ht0' : 0 < INR t0) by (apply lt_0_INR; exact Ht0).
  apply Rmult_le_reg_r with (INR t0); [exact Ht0'|].
  unfold Rdiv; rewrite Rmult_minus_distr_r, Rmult_assoc, Rinv_l by lra.
  nra.
Qed.

Theorem mixing_envelope :
  forall (d : nat -> R) (dbar : R) (t0 : nat),
    (0 < t0)%nat -> 0 < dbar < 1 ->
    (forall t, d t <= dbar ^ (t / t0)) ->
    forall t, d t <= (1 / dbar) * Rpower (Rpower dbar (1 / INR t0)) (INR t).
Proof.
  intros d dbar t0 Ht0 Hdb Hd t.
  eapply Rle_trans; [apply Hd|].
  pose proof (ln_neg_lt1 dbar Hdb) as Hln.
  pose proof (nat_div_lower t t0 Ht0) as Hk.
  rewrite <- Rpower_pow by lra; rewrite Rpower_mult; unfold Rpower.
  replace (1 / dbar) with (exp (- ln dbar))
    by (rewrite exp_Ropp, exp_ln by lra; field; lra).
  rewrite <- exp_plus; apply exp_le_mono.
  replace (1 / INR t0 * INR t) with (INR t / INR t0) by (field; apply not_0_INR; lia).
  nra.
Qed.

Theorem tau_mix_envelope :
  forall (d : nat -> R) (dbar eps : R) (t0 : nat),
    (0 < t0)%nat -> 0 < dbar < 1 -> 0 < eps <= 1 ->
    (forall t, d t <= dbar ^ (t / t0)) ->
    exists t : nat,
      INR t <= INR t0 * (1 + ln (1 / eps) / ln (1 / dbar)) /\
      (forall t', (t <= t')%nat -> d t' <= eps).
Proof.
  intros d dbar eps t0 Ht0 Hdb Heps Hd.
  pose proof (ln_neg_lt1 dbar Hdb) as Hln.
  assert (Hl1 : ln (1 / dbar) = - ln dbar)
    by (unfold Rdiv; rewrite Rmult_1_l, ln_Rinv by lra; reflexivity).
  assert (He1 : ln (1 / eps) = - ln eps)
    by (unfold Rdiv; rewrite Rmult_1_l, ln_Rinv by lra; reflexivity).
  assert (Hle : ln eps <= 0).
  { destruct (Req_dec eps 1) as [->|Hne]; [rewrite ln_1; lra|].
    apply Rlt_le, ln_neg_lt1; lra. }
  set (L := ln (1 / eps) / ln (1 / dbar)).
  assert (HL0 : 0 <= L).
  { unfold L; rewrite Hl1, He1; unfold Rdiv.
    apply Rmult_le_pos; [lra | apply Rlt_le, Rinv_0_lt_compat; lra]. }
  destruct (archimed L) as [Hup1 Hup2].
  assert (Hpos : (0 <= up L)%Z) by (apply le_IZR; lra).
  set (k := Z.to_nat (up L)).
  assert (Hk : INR k = IZR (up L)) by (unfold k; rewrite INR_IZR_INZ, Z2Nat.id by exact Hpos; reflexivity).
  exists (k * t0)%nat; split.
  - rewrite mult_INR, Hk.
    assert (0 < INR t0) by (apply lt_0_INR; exact Ht0).
    fold L; nra.
  - intros t' Ht'.
    eapply Rle_trans; [apply Hd|].
    assert (Hdiv : (k <= t' / t0)%nat).
    { rewrite <- (Nat.div_mul k t0) by lia; apply Nat.div_le_mono; lia. }
    eapply Rle_trans; [apply pow_le_decr; [lra | exact Hdiv]|].
    rewrite <- Rpower_pow by lra; unfold Rpower.
    rewrite <- (exp_ln eps) by lra; apply exp_le_mono.
    assert (EL : L * ln dbar = ln eps).
    { unfold L; rewrite Hl1, He1; field; lra. }
    rewrite Hk; nra.
Qed.
