(** * The sample budget: a decreasing envelope of Theorem 1's bound (docs/theory.md §6)

    Right-hand side of Theorem 1 at T handoffs:
      A + c · (9 + 24 (τ_mix(α_T) + 1)) (1 + ln T)/T,
    A, c ≥ 0 any constants (the budget uses A = 0, c = G²/((1 − κ)² ω²)), α_T = 1/(a (T + 1)), a = (1 − κ) ω.
    τ_mix steps up with T, so the budget bisects on the continuous envelope obtained from
    the bound of §4, τ_mix(ε) ≤ t₀ (1 + ln(1/ε)/ln(1/d̄)) (Mixing.v, [tau_mix_envelope]):

      E(T) = A + c · (9 + 24 (t₀ (1 + ln(1/α_T)/ln(1/d̄)) + 1)) · (1 + ln T)/T
                                                                        [budget_envelope]
    - [budget_envelope_decreasing]: E is non-increasing on [T₀, ∞) with
      T₀ = max(e, exp(max(0, 2 − (33 + 24 t₀) ln(1/d̄)/(24 t₀)))/a − 1)      [budget_T0]
      ([step_size_le_one_beyond_T0]: for T ≥ T₀ also α_T ≤ 1, so the τ_mix bound applies).
    - [budget_residual_le_envelope]: any τ below the envelope's τ gives a bound ≤ E(T).
    - [bisection_finds_least]: on a non-increasing f the set {T ≥ T₀ : f T ≤ c} is an
      up-set ([budget_upset]) and integer bisection returns its least integer element.

    Where T₀ comes from: E − A = c (b + B ln(a (T+1))) (1 + ln T)/T with b = 33 + 24 t₀,
    B = 24 t₀/ln(1/d̄) > 0, and [log_envelope_decreasing] shows that
    (h₀ + B ln(T+1)) (1 + ln T)/T is non-increasing from any T₁ ≥ e at which the first
    factor is ≥ 2B, i.e. ln(a (T₁+1)) ≥ 2 − b/B.  The proof is derivative-free: with
    s = ln(T₂/T₁), T₂ = T₁ eˢ ≥ T₁ (1 + s/2)² and ln(T₂ + 1) − ln(T₁ + 1) ≤ s. *)

From Coq Require Import Reals Lra Lia Psatz.
From ICQ Require Import Finite Mixing.
Local Open Scope R_scope.

Definition tau_mix_env (t0 dbar eps : R) : R := t0 * (1 + ln (1 / eps) / ln (1 / dbar)).

Definition step_size (a T : R) : R := 1 / (a * (T + 1)).

Definition budget_envelope (A c t0 dbar a T : R) : R :=
  A + c * (9 + 24 * (tau_mix_env t0 dbar (step_size a T) + 1)) * (1 + ln T) / T.

(** T₀ = max(e, exp(max(0, 2 − (33 + 24 t₀) ln(1/d̄)/(24 t₀)))/a − 1) *)
Definition budget_T0 (t0 dbar a : R) : R :=
  Rmax (exp 1) (exp (Rmax 0 (2 - (33 + 24 * t0) * ln (1 / dbar) / (24 * t0))) / a - 1).

Lemma ln_le_mono (x y : R) : 0 < x -> x <= y -> ln x <= ln y.
Proof.
  intros Hx H; destruct (Rle_lt_or_eq_dec x y H) as [Hlt | ->];
    [apply Rlt_le, ln_increasing; assumption | apply Rle_refl].
Qed.

(** (A + B ln(T+1)) (1 + ln T)/T is non-increasing from any T₁ ≥ e with A + B ln(T₁+1) ≥ 2B. *)
Theorem log_envelope_decreasing :
  forall A B T1 T2 : R,
    0 < B -> exp 1 <= T1 -> T1 <= T2 -> 2 * B <= A + B * ln (T1 + 1) ->
    (A + B * ln (T2 + 1)) * (1 + ln T2) / T2 <= (A + B * ln (T1 + 1)) * (1 + ln T1) / T1.
Proof.
  intros A B T1 T2 HB He H12 Hh.
  assert (HT1 : 0 < T1) by (pose proof (exp_pos 1); lra).
  assert (HT2 : 0 < T2) by lra.
  set (u := ln T1).
  assert (Hu : 1 <= u) by (unfold u; rewrite <- (ln_exp 1); apply ln_le_mono; [apply exp_pos | exact He]).
  set (s := ln T2 - ln T1).
  assert (Hs : 0 <= s) by (unfold s; pose proof (ln_le_mono T1 T2 HT1 H12); lra).
  assert (ET2 : T2 = T1 * exp s).
  { unfold s, Rminus; rewrite exp_plus, exp_Ropp, !exp_ln by lra; field; lra. }
  (* ln(T₂+1) ≤ ln(T₁+1) + s *)
  assert (Hl : ln (T2 + 1) <= ln (T1 + 1) + s).
  { unfold s.
    assert (ln ((T2 + 1) * T1) <= ln (T2 * (T1 + 1))) by (apply ln_le_mono; nra).
    rewrite !ln_mult in H by lra; lra. }
  (* eˢ ≥ (1 + s/2)² *)
  assert (Hexp : (1 + s / 2) ^ 2 <= exp s).
  { replace (exp s) with (exp (s / 2) ^ 2) by (simpl; rewrite Rmult_1_r, <- exp_plus; f_equal; field).
    apply pow_incr; split; [lra | apply exp_ineq1_le]. }
  set (h1 := A + B * ln (T1 + 1)) in *.
  set (h2 := A + B * ln (T2 + 1)).
  assert (Hh2 : h2 <= h1 + B * s) by (unfold h2, h1; nra).
  assert (Hk2 : 0 <= 1 + ln T2) by (unfold s, u in *; lra).
  assert (Hmid : (h1 + B * s) * (1 + u + s) <= h1 * (1 + u) * (1 + s / 2) ^ 2).
  { assert (0 <= s * (h1 * u - B * (1 + u))) by (apply Rmult_le_pos; nra).
    assert (0 <= s * s * (h1 * (1 + u) / 4 - B)) by (apply Rmult_le_pos; nra).
    nra. }
  assert (Hpos : 0 <= h1 * (1 + u)) by nra.
  assert (Hmain : h2 * (1 + ln T2) <= h1 * (1 + u) * exp s).
  { replace (1 + ln T2) with (1 + u + s) by (unfold s, u; ring).
    apply Rle_trans with ((h1 + B * s) * (1 + u + s)); [apply Rmult_le_compat_r; [unfold s, u in *; lra | exact Hh2]|].
    eapply Rle_trans; [exact Hmid|]; apply Rmult_le_compat_l; assumption. }
  assert (Hgoal : h2 * (1 + ln T2) * T1 <= h1 * (1 + u) * T2).
  { replace (h1 * (1 + u) * T2) with (h1 * (1 + u) * exp s * T1) by (rewrite ET2; ring).
    apply Rmult_le_compat_r; [lra | exact Hmain]. }
  unfold Rdiv.
  apply Rmult_le_reg_r with (T1 * T2); [nra|].
  replace (h2 * (1 + ln T2) * / T2 * (T1 * T2)) with (h2 * (1 + ln T2) * T1) by (field; lra).
  replace (h1 * (1 + u) * / T1 * (T1 * T2)) with (h1 * (1 + u) * T2) by (field; lra).
  exact Hgoal.
Qed.

(** The envelope in the form A + c (b + B ln a + B ln(T + 1))(1 + ln T)/T,
    b = 33 + 24 t₀, B = 24 t₀/ln(1/d̄). *)
Lemma budget_envelope_form (A c t0 dbar a T : R) :
  0 < dbar < 1 -> 0 < a -> 0 < T ->
  budget_envelope A c t0 dbar a T
  = A + c * (((33 + 24 * t0 + 24 * t0 / ln (1 / dbar) * ln a)
              + 24 * t0 / ln (1 / dbar) * ln (T + 1)) * (1 + ln T) / T).
Proof.
  intros Hd Ha HT.
  assert (Hl : ln (1 / dbar) > 0).
  { unfold Rdiv; rewrite Rmult_1_l, ln_Rinv by lra; pose proof (ln_neg_lt1 dbar Hd); lra. }
  unfold budget_envelope, tau_mix_env, step_size.
  replace (1 / (1 / (a * (T + 1)))) with (a * (T + 1)) by (field; lra).
  rewrite ln_mult by lra.
  field; lra.
Qed.

(** Beyond T₀ the step size α_T is at most 1, so the τ_mix bound of Mixing.v applies. *)
Lemma step_size_le_one_beyond_T0 (t0 dbar a T : R) :
  0 < a -> budget_T0 t0 dbar a <= T -> 0 < step_size a T <= 1.
Proof.
  intros Ha HT; unfold budget_T0 in HT.
  set (x := Rmax 0 (2 - (33 + 24 * t0) * ln (1 / dbar) / (24 * t0))) in *.
  pose proof (Rmax_l (exp 1) (exp x / a - 1)); pose proof (Rmax_r (exp 1) (exp x / a - 1)).
  assert (Hx : 1 <= exp x) by (rewrite <- exp_0; apply exp_le_mono, Rmax_l).
  assert (HaT : exp x <= a * (T + 1)).
  { assert (exp x / a <= T + 1) by lra.
    apply Rmult_le_compat_l with (r := a) in H1; [|lra].
    replace (a * (exp x / a)) with (exp x) in H1 by (field; lra); exact H1. }
  unfold step_size; split.
  - apply Rdiv_lt_0_compat; lra.
  - unfold Rdiv; rewrite Rmult_1_l; rewrite <- Rinv_1; apply Rinv_le_contravar; lra.
Qed.

Theorem budget_envelope_decreasing :
  forall A c t0 dbar a T1 T2 : R,
    0 <= c -> 0 < t0 -> 0 < dbar < 1 -> 0 < a ->
    budget_T0 t0 dbar a <= T1 -> T1 <= T2 ->
    budget_envelope A c t0 dbar a T2 <= budget_envelope A c t0 dbar a T1.
Proof.
  intros A c t0 dbar a T1 T2 Hc Ht0 Hd Ha HT1 H12.
  pose proof HT1 as HT1'; unfold budget_T0 in HT1.
  set (x := 2 - (33 + 24 * t0) * ln (1 / dbar) / (24 * t0)) in *.
  pose proof (Rmax_l (exp 1) (exp (Rmax 0 x) / a - 1)).
  pose proof (Rmax_r (exp 1) (exp (Rmax 0 x) / a - 1)).
  assert (He : exp 1 <= T1) by lra.
  assert (Hpos1 : 0 < T1) by (pose proof (exp_pos 1); lra).
  assert (HaT : exp (Rmax 0 x) <= a * (T1 + 1)).
  { assert (exp (Rmax 0 x) / a <= T1 + 1) by lra.
    apply Rmult_le_compat_l with (r := a) in H1; [|lra].
    replace (a * (exp (Rmax 0 x) / a)) with (exp (Rmax 0 x)) in H1 by (field; lra); exact H1. }
  assert (Hl : ln (1 / dbar) > 0).
  { unfold Rdiv; rewrite Rmult_1_l, ln_Rinv by lra; pose proof (ln_neg_lt1 dbar Hd); lra. }
  assert (Hlog : x <= ln a + ln (T1 + 1)).
  { rewrite <- ln_mult by lra.
    apply Rle_trans with (Rmax 0 x); [apply Rmax_r|].
    rewrite <- (ln_exp (Rmax 0 x)); apply ln_le_mono; [apply exp_pos | exact HaT]. }
  rewrite !budget_envelope_form by lra.
  apply Rplus_le_compat_l, Rmult_le_compat_l; [exact Hc|].
  set (B := 24 * t0 / ln (1 / dbar)).
  assert (HB : 0 < B) by (unfold B; apply Rdiv_lt_0_compat; lra).
  apply log_envelope_decreasing; try lra.
  (* 2B ≤ 33 + 24 t₀ + B (ln a + ln(T₁ + 1)) because B x = 2B − (33 + 24 t₀) *)
  assert (EBx : B * x = 2 * B - (33 + 24 * t0)) by (unfold B, x; field; lra).
  assert (B * x <= B * (ln a + ln (T1 + 1))) by (apply Rmult_le_compat_l; lra).
  nra.
Qed.

(** For T ≥ 1, any τ below the envelope's τ_mix bound gives a residual below f(T). *)
Theorem budget_residual_le_envelope :
  forall A c t0 dbar a T tau : R,
    0 <= c -> 1 <= T -> tau <= tau_mix_env t0 dbar (step_size a T) ->
    A + c * (9 + 24 * (tau + 1)) * (1 + ln T) / T <= budget_envelope A c t0 dbar a T.
Proof.
  intros A c t0 dbar a T tau Hc HT Htau; unfold budget_envelope, Rdiv.
  apply Rplus_le_compat_l.
  assert (0 <= ln T) by (rewrite <- ln_1; apply ln_le_mono; lra).
  assert (0 < / T) by (apply Rinv_0_lt_compat; lra).
  apply Rmult_le_compat_r; [lra|].
  apply Rmult_le_compat_r; [lra|].
  apply Rmult_le_compat_l; lra.
Qed.

(** ** Bisection on integers *)

Fixpoint bisect_fuel (f : R -> R) (c : R) (fuel lo hi : nat) : nat :=
  match fuel with
  | O => hi
  | S k =>
      if Nat.ltb (S lo) hi then
        let mid := ((lo + hi) / 2)%nat in
        if Rle_dec (f (INR mid)) c then bisect_fuel f c k lo mid else bisect_fuel f c k mid hi
      else hi
  end.

(** Invariant f(lo) > c ≥ f(hi); returns hi once hi = lo + 1. *)
Definition bisect (f : R -> R) (c : R) (lo hi : nat) : nat := bisect_fuel f c (hi - lo) lo hi.

Lemma bisect_fuel_spec (f : R -> R) (c : R) :
  forall fuel lo hi,
    (lo < hi)%nat -> (hi - lo <= S fuel)%nat -> c < f (INR lo) -> f (INR hi) <= c ->
    exists lo', (lo <= lo')%nat /\ S lo' = bisect_fuel f c fuel lo hi /\
                (bisect_fuel f c fuel lo hi <= hi)%nat /\
                c < f (INR lo') /\ f (INR (bisect_fuel f c fuel lo hi)) <= c.
Proof.
  induction fuel as [|k IH]; intros lo hi Hlh Hfuel Hlo Hhi; cbn [bisect_fuel].
  - exists lo; repeat split; try lia; [replace hi with (S lo) by lia|]; assumption.
  - destruct (Nat.ltb (S lo) hi) eqn:Elt.
    + apply Nat.ltb_lt in Elt.
      assert (Hm1 : (S lo <= (lo + hi) / 2)%nat) by (apply Nat.div_le_lower_bound; lia).
      assert (Hm2 : ((lo + hi) / 2 < hi)%nat) by (apply Nat.div_lt_upper_bound; lia).
      destruct (Rle_dec (f (INR ((lo + hi) / 2))) c) as [Hm|Hm].
      * destruct (IH lo ((lo + hi) / 2)%nat) as [lo' [H1 [H2 [H3 [H4 H5]]]]]; try lia; try assumption.
        exists lo'; split; [lia|]; split; [exact H2|]; split; [lia|]; split; assumption.
      * destruct (IH ((lo + hi) / 2)%nat hi) as [lo' [H1 [H2 [H3 [H4 H5]]]]]; try lia; try lra.
        exists lo'; repeat split; try lia; assumption.
    + apply Nat.ltb_ge in Elt.
      exists lo; repeat split; try lia; [replace hi with (S lo) by lia|]; assumption.
Qed.

(** {T ≥ T₀ : f T ≤ c} is an up-set when f is non-increasing on [T₀, ∞). *)
Theorem budget_upset :
  forall (f : R -> R) (c T0 T1 T2 : R),
    (forall x y, T0 <= x -> x <= y -> f y <= f x) ->
    T0 <= T1 -> T1 <= T2 -> f T1 <= c -> f T2 <= c.
Proof. intros f c T0 T1 T2 Hmono H0 H12 H1; eapply Rle_trans; [apply Hmono|]; eassumption. Qed.

(** Bisection between an integer lo ≥ T₀ with f(lo) > c and hi with f(hi) ≤ c returns the
    least integer n ≥ T₀ with f(n) ≤ c. *)
Theorem bisection_finds_least :
  forall (f : R -> R) (c T0 : R) (lo hi : nat),
    (forall x y, T0 <= x -> x <= y -> f y <= f x) ->
    T0 <= INR lo -> (lo < hi)%nat -> c < f (INR lo) -> f (INR hi) <= c ->
    f (INR (bisect f c lo hi)) <= c /\
    (forall n : nat, T0 <= INR n -> f (INR n) <= c -> (bisect f c lo hi <= n)%nat).
Proof.
  intros f c T0 lo hi Hmono HT0 Hlh Hlo Hhi.
  destruct (bisect_fuel_spec f c (hi - lo) lo hi Hlh ltac:(lia) Hlo Hhi)
    as [lo' [H1 [H2 [H3 [H4 H5]]]]].
  unfold bisect; split; [exact H5|].
  intros n Hn Hfn.
  destruct (Nat.le_gt_cases (S lo') n) as [Hle|Hgt]; [rewrite <- H2; exact Hle|].
  exfalso.
  assert (Hn' : (n <= lo')%nat) by lia.
  assert (f (INR lo') <= f (INR n)) by (apply Hmono; [exact Hn | apply le_INR; exact Hn']).
  lra.
Qed.
