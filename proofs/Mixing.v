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

(** * The restart decomposition (docs/theory.md §9)

    Episodes restart from ν₀: P_b = A + e ν₀ᵀ.  From a state y let T be the first time the
    END-outcome term (e ν₀ᵀ) is taken.  Then P_b^t(y,·) = a + Σ_{s≤t} p_s q_s with
    a = A^t(y,·) (mass U = P_y(T > t)), p_s = P_y(T = s) and q_s = ν₀ P_b^{t−s}; the masses
    add up, U + Σ p_s = 1.  Writing μ = U μ + Σ p_s μ and using the triangle inequality,

      ½‖P_b^t(y,·) − μ‖₁ ≤ P_y(T > t) + Σ_{s≤t} P_y(T = s) · ½‖ν₀P_b^{t−s} − μ‖₁.

    [restart_decomposition] is that inequality for one starting state over a finite state
    list [zs] and a finite list of restart times [ss]; the bound on d(t) is its maximum
    over y. *)

From Coq Require Import List.

Theorem restart_decomposition :
  forall (Z S : Type) (zs : list Z) (ss : list S) (a mu : Z -> R) (p : S -> R)
         (q : S -> Z -> R),
    (forall z, In z zs -> 0 <= a z) ->
    (forall z, In z zs -> 0 <= mu z) ->
    (forall s, In s ss -> 0 <= p s) ->
    fsum zs mu = 1 ->
    fsum zs a + fsum ss p = 1 ->
    fsum zs (fun z => Rabs (a z + fsum ss (fun s => p s * q s z) - mu z)) / 2
      <= fsum zs a + fsum ss (fun s => p s * (fsum zs (fun z => Rabs (q s z - mu z)) / 2)).
Proof.
  intros Z S zs ss a mu p q Ha Hmu Hp Hmu1 Hmass.
  set (U := fsum zs a) in *.
  assert (HU : 0 <= U) by (apply fsum_nonneg; exact Ha).
  assert (Hpt : forall z, In z zs ->
    Rabs (a z + fsum ss (fun s => p s * q s z) - mu z)
      <= (a z + U * mu z) + fsum ss (fun s => p s * Rabs (q s z - mu z))).
  { intros z Hz.
    assert (Es : fsum ss (fun s => p s * (q s z - mu z))
                 = fsum ss (fun s => p s * q s z) - fsum ss p * mu z).
    { rewrite <- fsum_scal_r, <- fsum_minus; apply fsum_ext; intros s _; ring. }
    assert (E : a z + fsum ss (fun s => p s * q s z) - mu z
              = (a z - U * mu z) + fsum ss (fun s => p s * (q s z - mu z))).
    { rewrite Es; replace (fsum ss p) with (1 - U) by lra; ring. }
    rewrite E.
    eapply Rle_trans; [apply Rabs_triang|].
    apply Rplus_le_compat.
    - unfold Rminus; eapply Rle_trans; [apply Rabs_triang|].
      rewrite Rabs_Ropp, (Rabs_pos_eq (a z)) by (apply Ha; exact Hz).
      rewrite Rabs_pos_eq by (apply Rmult_le_pos; [exact HU | apply Hmu; exact Hz]).
      lra.
    - eapply Rle_trans; [apply fsum_abs|].
      apply fsum_le; intros s Hs.
      rewrite Rabs_mult, (Rabs_pos_eq (p s)) by (apply Hp; exact Hs); lra. }
  assert (Hsum : fsum zs (fun z => Rabs (a z + fsum ss (fun s => p s * q s z) - mu z))
                 <= 2 * U + fsum ss (fun s => p s * fsum zs (fun z => Rabs (q s z - mu z)))).
  { eapply Rle_trans; [apply fsum_le; exact Hpt|].
    rewrite fsum_plus, fsum_plus, fsum_scal_l, Hmu1, fsum_swap.
    fold U.
    assert (Ex : fsum ss (fun s => fsum zs (fun z => p s * Rabs (q s z - mu z)))
                 = fsum ss (fun s => p s * fsum zs (fun z => Rabs (q s z - mu z)))).
    { apply fsum_ext; intros s _; apply fsum_scal_l. }
    rewrite Ex; lra. }
  assert (Eh : fsum ss (fun s => p s * (fsum zs (fun z => Rabs (q s z - mu z)) / 2))
               = fsum ss (fun s => p s * fsum zs (fun z => Rabs (q s z - mu z))) / 2).
  { unfold Rdiv; rewrite <- fsum_scal_r; apply fsum_ext; intros s _; ring. }
  rewrite Eh; lra.
Qed.
