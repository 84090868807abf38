(** * Lemma A: the AIS gap, in all the forms of docs/theory.md §3

    Latent epoch model M (states y, kernel K, reward r̄) and AIS-induced model H on
    observations ô (kernel K̂, reward r̂), linked by σ : y ↦ ô, with admissible sets
    that depend on the observation only: J_M(y) = J_H(σ y).  Nothing is assumed about
    how r̂ and K̂ were built from μ: the lemmas hold for every AIS model.

    - pushforward σ#K(·|y,j)(ô') = Σ_{y' ∈ σ⁻¹(ô')} K(y'|y,j)           [pushforward]
    - ε(y,j) = |r̄(y,j) − r̂(σ y,j)|                                     [reward_gap]
    - D(y,j) = |⟨σ#K(·|y,j) − K̂(·|σ y,j), V̂*⟩|                         [transition_gap]
    - d_TV(y,j) = Σ_ô' |σ#K − K̂|  (full L1, the default IPM)            [tv_gap]
    - Δ_exact = max_{y,j} |Q*(y,j) − Q̂*(σ y,j)|                          [exact_gap]

    Results (names as used by the Python docstrings):
    - [ipm_tv_bound]          |Σ (ν₁ − ν₂) f| ≤ (Σ |ν₁ − ν₂|) · max |f|
    - [ais_gap_value_aware]   Δ_exact ≤ (ε + D)/(1 − γ̄)                         (Δ_va)
    - [ais_gap_paper_form]    D ≤ γ̄ L_V δ and Δ_exact ≤ (ε + γ̄ L_V δ)/(1 − γ̄)    (Δ_AIS)
    - [ais_gap_statewise_sound]  Δ_exact ≤ e + r/(1 − γ̄) for any e whose statewise
                                 residual is ≤ r, and max e ≤ max a/(1 − γ̄)
    - [ais_gap_exact_le_statewise]  Δ_exact ≤ max e for every supersolution e ≥ F e
    - [ais_gap_ordering]      Δ_exact ≤ max e ≤ Δ_va ≤ Δ_AIS for the fixed point e
    - [tabular_icq_limit_gap] the limit of tabular IC-Q is within Δ_va of Q*, given
                              the imported agent-state Q-learning convergence result. *)

From Coq Require Import Reals Lra List.
From ICQ Require Import Finite Contraction.
Import ListNotations.
Local Open Scope R_scope.

(** ** The scalar step *)

(** If Δ ≤ ε + D + γ̄ Δ and γ̄ < 1 then Δ ≤ (ε + D)/(1 − γ̄). *)
Theorem ais_gap_value_aware_scalar :
  forall eps D g Delta : R,
    g < 1 -> Delta <= eps + D + g * Delta -> Delta <= (eps + D) / (1 - g).
Proof.
  intros eps D g Delta Hg H.
  apply Rmult_le_reg_r with (1 - g); [lra|].
  unfold Rdiv; rewrite Rmult_assoc, Rinv_l by lra; lra.
Qed.

(** ** Integral probability metrics on a finite support *)

(** Total variation (full L1) against the sup norm, for measures of any masses. *)
Theorem ipm_tv_bound :
  forall (A : Type) (l : list A) (n1 n2 f : A -> R),
    Rabs (fsum l (fun i => (n1 i - n2 i) * f i))
      <= fsum l (fun i => Rabs (n1 i - n2 i)) * fmax l (fun i => Rabs (f i)).
Proof.
  intros A l n1 n2 f.
  eapply Rle_trans; [apply fsum_abs|].
  rewrite <- fsum_scal_r; apply fsum_le; intros i Hi.
  rewrite Rabs_mult; apply Rmult_le_compat_l; [apply Rabs_pos|].
  apply (fmax_ub l (fun i => Rabs (f i))); exact Hi.
Qed.

(** Equal masses: any constant c may be subtracted from f first (c = mid-range gives
    ½ span(f), docs/theory.md §3).  Without equal masses this is false. *)
Theorem ipm_centered_bound :
  forall (A : Type) (l : list A) (n1 n2 f : A -> R) (c : R),
    fsum l n1 = fsum l n2 ->
    Rabs (fsum l (fun i => (n1 i - n2 i) * f i))
      <= fsum l (fun i => Rabs (n1 i - n2 i)) * fmax l (fun i => Rabs (f i - c)).
Proof.
  intros A l n1 n2 f c Hm.
  replace (fsum l (fun i => (n1 i - n2 i) * f i))
    with (fsum l (fun i => (n1 i - n2 i) * (f i - c))).
  - apply ipm_tv_bound.
  - assert (E : fsum l (fun i => (n1 i - n2 i) * (f i - c))
                = fsum l (fun i => (n1 i - n2 i) * f i) - (fsum l n1 - fsum l n2) * c).
    { rewrite <- !fsum_minus, <- fsum_scal_r, <- fsum_minus; apply fsum_ext; intros; ring. }
    rewrite E, Hm; ring.
Qed.

(** ** The AIS setting *)
Section Setting.
Context {Y O B : Type}.

Definition pushforward (eqO : forall a b : O, {a = b} + {a <> b}) (M : smdp Y B)
  (sig : Y -> O) (y : Y) (j : B) (o : O) : R :=
  fsum (states M) (fun y' => if eqO (sig y') o then kern M y j y' else 0).

(** H lists each observation once, σ maps latent states into it, and the admissible
    successors depend on the observation only (docs/theory.md §1: J_i(o)). *)
Definition ais_compatible (M : smdp Y B) (H : smdp O B) (sig : Y -> O) : Prop :=
  NoDup (states H) /\
  (forall y, In y (states M) -> In (sig y) (states H)) /\
  (forall y, In y (states M) -> adm M y = adm H (sig y)).

Definition reward_gap (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (y : Y) (j : B) : R :=
  Rabs (rew M y j - rew H (sig y) j).

Definition transition_gap (eqO : forall a b : O, {a = b} + {a <> b}) (M : smdp Y B)
  (H : smdp O B) (sig : Y -> O) (vh : O -> R) (y : Y) (j : B) : R :=
  Rabs (fsum (states H) (fun o => (pushforward eqO M sig y j o - kern H (sig y) j o) * vh o)).

Definition tv_gap (eqO : forall a b : O, {a = b} + {a <> b}) (M : smdp Y B)
  (H : smdp O B) (sig : Y -> O) (y : Y) (j : B) : R :=
  fsum (states H) (fun o => Rabs (pushforward eqO M sig y j o - kern H (sig y) j o)).

Definition q_gap (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R) (y : Y) (j : B) : R :=
  Rabs (q y j - qh (sig y) j).

(** Δ_exact = max_{y,j} |Q*(y,j) − Q̂*(σ y,j)| *)
Definition exact_gap (M : smdp Y B) (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R) : R :=
  pmax (states M) (adm M) (q_gap sig q qh).

(** ε = max_{y,j} |r̄ − r̂∘σ| and D = max_{y,j} |⟨σ#K − K̂, V̂*⟩| *)
Definition ais_eps (M : smdp Y B) (H : smdp O B) (sig : Y -> O) : R :=
  pmax (states M) (adm M) (reward_gap M H sig).

Definition ais_D (eqO : forall a b : O, {a = b} + {a <> b}) (M : smdp Y B) (H : smdp O B)
  (sig : Y -> O) (qh : O -> B -> R) : R :=
  pmax (states M) (adm M) (transition_gap eqO M H sig (vmax H qh)).

(** the source term a(y,j) of the state-wise recursion *)
Definition statewise_source (eqO : forall a b : O, {a = b} + {a <> b}) (M : smdp Y B)
  (H : smdp O B) (sig : Y -> O) (qh : O -> B -> R) (y : Y) (j : B) : R :=
  reward_gap M H sig y j + transition_gap eqO M H sig (vmax H qh) y j.

End Setting.

(** F(e)(y,j) = a(y,j) + Σ_{y'} K(y'|y,j) max_{j'} e(y',j')  (docs/theory.md §3, state-wise) *)
Definition statewise_map {Y B : Type} (M : smdp Y B) (a e : Y -> B -> R) (y : Y) (j : B) : R :=
  a y j + fsum (states M) (fun y' => kern M y j y' * vmax M e y').

(** ** Pushforward bookkeeping *)

Lemma fsum_indicator_absent {O : Type} (eqO : forall a b : O, {a = b} + {a <> b})
  (os : list O) (x : O) (h : O -> R) :
  ~ In x os -> fsum os (fun o => if eqO x o then h o else 0) = 0.
Proof.
  induction os as [|o os IH]; intros Hx; simpl; [reflexivity|].
  destruct (eqO x o) as [->|_]; [exfalso; apply Hx; left; reflexivity|].
  rewrite IH; [ring|]; intros H; apply Hx; right; exact H.
Qed.

Lemma fsum_indicator {O : Type} (eqO : forall a b : O, {a = b} + {a <> b})
  (os : list O) (x : O) (h : O -> R) :
  NoDup os -> In x os -> fsum os (fun o => if eqO x o then h o else 0) = h x.
Proof.
  induction os as [|o os IH]; intros Hnd Hx; simpl; [contradiction|].
  inversion Hnd as [|? ? Hno Hnd']; subst.
  destruct (eqO x o) as [->|Hne].
  - rewrite fsum_indicator_absent by exact Hno; ring.
  - destruct Hx as [->|Hx]; [congruence|]; rewrite IH by assumption; ring.
Qed.

(** Σ_ô' σ#K(ô') f(ô') = Σ_y' K(y') f(σ y') *)
Lemma pushforward_sum {Y O B : Type} (eqO : forall a b : O, {a = b} + {a <> b})
  (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (y : Y) (j : B) (f : O -> R) :
  NoDup (states H) -> (forall y', In y' (states M) -> In (sig y') (states H)) ->
  fsum (states H) (fun o => pushforward eqO M sig y j o * f o)
  = fsum (states M) (fun y' => kern M y j y' * f (sig y')).
Proof.
  intros Hnd Hin; unfold pushforward.
  transitivity (fsum (states H) (fun o => fsum (states M)
                  (fun y' => if eqO (sig y') o then kern M y j y' * f o else 0))).
  { apply fsum_ext; intros o _; rewrite <- fsum_scal_r; apply fsum_ext; intros y' _.
    destruct (eqO (sig y') o); ring. }
  rewrite fsum_swap; apply fsum_ext; intros y' Hy'.
  rewrite (fsum_indicator eqO (states H) (sig y') (fun o => kern M y j y' * f o)); auto.
Qed.

(** ** The gap recursion *)

(** Generic one-step comparison of two evaluations (optimal values or a policy's). *)
Lemma gap_recursion_generic {Y O B : Type} (eqO : forall a b : O, {a = b} + {a <> b})
  (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R)
  (v : Y -> R) (vh : O -> R) :
  ais_compatible M H sig -> kernel_nonneg M ->
  (forall y j, In y (states M) -> In j (adm M y) ->
     q y j = rew M y j + fsum (states M) (fun y' => kern M y j y' * v y')) ->
  (forall y j, In y (states M) -> In j (adm M y) ->
     qh (sig y) j = rew H (sig y) j + fsum (states H) (fun o => kern H (sig y) j o * vh o)) ->
  (forall y', In y' (states M) -> Rabs (v y' - vh (sig y')) <= vmax M (q_gap sig q qh) y') ->
  forall y j, In y (states M) -> In j (adm M y) ->
    q_gap sig q qh y j
      <= reward_gap M H sig y j + transition_gap eqO M H sig vh y j
         + fsum (states M) (fun y' => kern M y j y' * vmax M (q_gap sig q qh) y').
Proof.
  intros [Hnd [Hin Hadm]] HK Hq Hqh Hv y j Hy Hj.
  set (P := fsum (states H) (fun o => (pushforward eqO M sig y j o - kern H (sig y) j o) * vh o)).
  set (S1 := fsum (states M) (fun y' => kern M y j y' * (v y' - vh (sig y')))).
  assert (E : q y j - qh (sig y) j = (rew M y j - rew H (sig y) j) + S1 + P).
  { rewrite (Hq y j Hy Hj), (Hqh y j Hy Hj); unfold S1, P.
    assert (E1 : fsum (states M) (fun y' => kern M y j y' * (v y' - vh (sig y')))
                 = fsum (states M) (fun y' => kern M y j y' * v y')
                   - fsum (states M) (fun y' => kern M y j y' * vh (sig y'))).
    { rewrite <- fsum_minus; apply fsum_ext; intros; ring. }
    assert (E2 : fsum (states H) (fun o => (pushforward eqO M sig y j o - kern H (sig y) j o) * vh o)
                 = fsum (states H) (fun o => pushforward eqO M sig y j o * vh o)
                   - fsum (states H) (fun o => kern H (sig y) j o * vh o)).
    { rewrite <- fsum_minus; apply fsum_ext; intros; ring. }
    rewrite E1, E2, (pushforward_sum eqO M H sig y j vh Hnd Hin); ring. }
  unfold q_gap at 1; rewrite E.
  assert (HS1 : Rabs S1 <= fsum (states M) (fun y' => kern M y j y' * vmax M (q_gap sig q qh) y')).
  { unfold S1; eapply Rle_trans; [apply fsum_abs|]; apply fsum_le; intros y' Hy'.
    rewrite Rabs_mult, (Rabs_right (kern M y j y')) by (apply Rle_ge, HK; assumption).
    apply Rmult_le_compat_l; [apply HK; assumption | apply Hv; exact Hy']. }
  unfold reward_gap, transition_gap; fold P.
  pose proof (Rabs_triang (rew M y j - rew H (sig y) j + S1) P).
  pose proof (Rabs_triang (rew M y j - rew H (sig y) j) S1).
  lra.
Qed.

(** |Q* − Q̂*∘σ| ≤ F(|Q* − Q̂*∘σ|) with source ε(y,j) + D(y,j) (docs/theory.md §3, proof of Lemma A). *)
Theorem ais_gap_recursion :
  forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
         (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R),
    ais_compatible M H sig -> kernel_nonneg M ->
    bellman_fixed_point M q -> bellman_fixed_point H qh ->
    forall y j, In y (states M) -> In j (adm M y) ->
      q_gap sig q qh y j
        <= statewise_map M (statewise_source eqO M H sig qh) (q_gap sig q qh) y j.
Proof.
  intros Y O B eqO M H sig q qh Hc HK Hq Hqh y j Hy Hj.
  destruct Hc as [Hnd [Hin Hadm]].
  unfold statewise_map, statewise_source.
  apply (gap_recursion_generic eqO M H sig q qh (vmax M q) (vmax H qh));
    [split; [exact Hnd | split; [exact Hin | exact Hadm]] | exact HK | | | | exact Hy | exact Hj].
  - intros y0 j0 Hy0 Hj0; apply Hq; assumption.
  - intros y0 j0 Hy0 Hj0; apply Hqh; [apply Hin; exact Hy0 | rewrite <- Hadm; assumption].
  - intros y' Hy'; unfold vmax at 2; rewrite <- (Hadm y' Hy').
    apply fmax_abs_diff.
Qed.

(** ** Sub- and supersolutions of the state-wise map *)

(** Comparison: every subsolution d ≤ F d lies below e + r/(1−γ̄) for any e whose
    residual F e − e is at most r (r = 0: any supersolution, e.g. the least fixed point). *)
Theorem statewise_comparison :
  forall (Y B : Type) (M : smdp Y B) (g r : R) (a d e : Y -> B -> R),
    kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 -> 0 <= r ->
    (forall y j, In y (states M) -> In j (adm M y) -> d y j <= statewise_map M a d y j) ->
    (forall y j, In y (states M) -> In j (adm M y) -> statewise_map M a e y j - e y j <= r) ->
    forall y j, In y (states M) -> In j (adm M y) -> d y j <= e y j + r / (1 - g).
Proof.
  intros Y B M g r a d e HK Hg [Hg0 Hg1] Hr Hd He.
  set (u := pmax (states M) (adm M) (fun y j => Rmax 0 (d y j - e y j))).
  assert (Hu0 : 0 <= u) by (apply pmax_nonneg; intros; apply Rmax_l).
  assert (Hstep : forall y j, In y (states M) -> In j (adm M y) -> d y j - e y j <= g * u + r).
  { intros y j Hy Hj.
    assert (Hsum : fsum (states M) (fun y' => kern M y j y' * vmax M d y')
                   - fsum (states M) (fun y' => kern M y j y' * vmax M e y') <= g * u).
    { rewrite <- fsum_minus.
      apply Rle_trans with (fsum (states M) (fun y' => kern M y j y' * u)).
      - apply fsum_le; intros y' Hy'.
        rewrite <- Rmult_minus_distr_l; apply Rmult_le_compat_l; [apply HK; assumption|].
        unfold vmax; eapply Rle_trans; [apply fmax_sub_le|].
        apply (fmax_ub (states M) (fun y => fmax (adm M y) (fun j => Rmax 0 (d y j - e y j))) y' Hy').
      - rewrite fsum_scal_r; apply Rmult_le_compat_r; [exact Hu0 | apply Hg; assumption]. }
    specialize (Hd y j Hy Hj); specialize (He y j Hy Hj); unfold statewise_map in *; lra. }
  assert (Hu : u <= g * u + r).
  { apply pmax_lub_nonneg; [nra|].
    intros y j Hy Hj; apply Rmax_lub; [nra | apply Hstep; assumption]. }
  assert (Hur : u <= r / (1 - g)).
  { pose proof (ais_gap_value_aware_scalar 0 r g u Hg1 ltac:(lra)) as Hs.
    rewrite Rplus_0_l in Hs; exact Hs. }
  intros y j Hy Hj.
  assert (d y j - e y j <= u).
  { eapply Rle_trans; [apply Rmax_r|].
    apply (pmax_ub (states M) (adm M) (fun y j => Rmax 0 (d y j - e y j))); assumption. }
  lra.
Qed.

(** A nonnegative subsolution with source at most c has max ≤ c/(1 − γ̄). *)
Theorem statewise_subsolution_max :
  forall (Y B : Type) (M : smdp Y B) (g c : R) (a d : Y -> B -> R),
    kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 -> 0 <= c ->
    (forall y j, In y (states M) -> In j (adm M y) -> a y j <= c) ->
    (forall y j, In y (states M) -> In j (adm M y) -> 0 <= d y j) ->
    (forall y j, In y (states M) -> In j (adm M y) -> d y j <= statewise_map M a d y j) ->
    pmax (states M) (adm M) d <= c / (1 - g).
Proof.
  intros Y B M g c a d HK Hg [Hg0 Hg1] Hc Ha Hd0 Hd.
  set (m := pmax (states M) (adm M) d).
  assert (Hm0 : 0 <= m) by (apply pmax_nonneg; exact Hd0).
  assert (Hm : m <= c + 0 + g * m).
  { apply pmax_lub_nonneg; [nra|].
    intros y j Hy Hj.
    eapply Rle_trans; [apply Hd; assumption|]; unfold statewise_map.
    assert (fsum (states M) (fun y' => kern M y j y' * vmax M d y') <= g * m).
    { apply Rle_trans with (fsum (states M) (fun y' => kern M y j y' * m)).
      - apply fsum_le; intros y' Hy'; apply Rmult_le_compat_l; [apply HK; assumption|].
        unfold vmax; apply fmax_lub_nonneg; [exact Hm0|].
        intros j' Hj'; apply (pmax_ub (states M) (adm M) d); assumption.
      - rewrite fsum_scal_r; apply Rmult_le_compat_r; [exact Hm0 | apply Hg; assumption]. }
    specialize (Ha y j Hy Hj); lra. }
  pose proof (ais_gap_value_aware_scalar c 0 g m Hg1 Hm).
  rewrite Rplus_0_r in H; exact H.
Qed.

(** ** Lemma A *)

(** Value-aware form: Δ_exact ≤ (ε + D)/(1 − γ̄). *)
Theorem ais_gap_value_aware :
  forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
         (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R)
         (g eps D : R),
    ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
    bellman_fixed_point M q -> bellman_fixed_point H qh ->
    0 <= eps -> 0 <= D ->
    (forall y j, In y (states M) -> In j (adm M y) -> reward_gap M H sig y j <= eps) ->
    (forall y j, In y (states M) -> In j (adm M y) ->
       transition_gap eqO M H sig (vmax H qh) y j <= D) ->
    exact_gap M sig q qh <= (eps + D) / (1 - g).
Proof.
  intros Y O B eqO M H sig q qh g eps D Hc HK Hg Hg01 Hq Hqh He HD Heps HDD.
  apply (statewise_subsolution_max Y B M g (eps + D) (statewise_source eqO M H sig qh));
    try assumption; [lra | | | ].
  - intros y j Hy Hj; unfold statewise_source.
    specialize (Heps y j Hy Hj); specialize (HDD y j Hy Hj); lra.
  - intros; apply Rabs_pos.
  - apply ais_gap_recursion; assumption.
Qed.

(** D(y,j) ≤ d_TV(y,j) · ‖V̂*‖∞ ≤ γ̄ δ L_V (TV paired with the sup norm, docs/theory.md §3). *)
Lemma transition_gap_le_paper {Y O B : Type} (eqO : forall a b : O, {a = b} + {a <> b})
  (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (qh : O -> B -> R) (g L delta : R) y j :
  tv_gap eqO M H sig y j <= g * delta ->
  fmax (states H) (fun o => Rabs (vmax H qh o)) <= L ->
  transition_gap eqO M H sig (vmax H qh) y j <= g * L * delta.
Proof.
  intros Htv HL; unfold transition_gap.
  eapply Rle_trans; [apply ipm_tv_bound|]; fold (tv_gap eqO M H sig y j).
  assert (0 <= tv_gap eqO M H sig y j) by (apply fsum_nonneg; intros; apply Rabs_pos).
  assert (0 <= fmax (states H) (fun i => Rabs (vmax H qh i)))
    by (apply fmax_nonneg; intros; apply Rabs_pos).
  apply Rle_trans with (g * delta * fmax (states H) (fun i => Rabs (vmax H qh i))).
  - apply Rmult_le_compat_r; assumption.
  - replace (g * L * delta) with (g * delta * L) by ring.
    apply Rmult_le_compat_l; [lra | exact HL].
Qed.

(** Paper form: with TV distance d_TV ≤ γ̄ δ and L_V ≥ ‖V̂*‖∞, D ≤ γ̄ L_V δ and
    Δ_exact ≤ (ε + γ̄ L_V δ)/(1 − γ̄) = Δ_AIS. *)
Theorem ais_gap_paper_form :
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
    exact_gap M sig q qh <= (eps + g * L * delta) / (1 - g).
Proof.
  intros Y O B eqO M H sig q qh g eps L delta Hc HK Hg Hg01 Hq Hqh He Hdel Heps Htv HL.
  assert (HL0 : 0 <= L).
  { eapply Rle_trans; [|exact HL]; apply fmax_nonneg; intros; apply Rabs_pos. }
  assert (HD : forall y j, In y (states M) -> In j (adm M y) ->
            transition_gap eqO M H sig (vmax H qh) y j <= g * L * delta).
  { intros y j Hy Hj; apply transition_gap_le_paper; [apply Htv; assumption | exact HL]. }
  split; [exact HD|].
  apply ais_gap_value_aware with (eqO := eqO) (H := H); try assumption.
  apply Rmult_le_pos; [apply Rmult_le_pos|]; lra.
Qed.

(** State-wise form: for any e with residual F e − e ≤ r on every pair,
    |Q* − Q̂*∘σ| ≤ e + r/(1 − γ̄) pointwise (r = 0 for the least fixed point); and any
    nonnegative subsolution e ≤ F e (the iterates from 0, the fixed point itself)
    has max e ≤ max a/(1 − γ̄), where a = ε(y,j) + D(y,j) is the source. *)
Theorem ais_gap_statewise_sound :
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
       <= pmax (states M) (adm M) (statewise_source eqO M H sig qh) / (1 - g)).
Proof.
  intros Y O B eqO M H sig q qh g r e Hc HK Hg Hg01 Hq Hqh Hr Hres.
  split.
  - apply (statewise_comparison Y B M g r (statewise_source eqO M H sig qh)); try assumption.
    apply ais_gap_recursion; assumption.
  - intros He0 Hsub.
    apply (statewise_subsolution_max Y B M g _ (statewise_source eqO M H sig qh)); try assumption.
    + apply pmax_nonneg; intros; unfold statewise_source; pose proof (Rabs_pos (rew M x j - rew H (sig x) j));
        unfold reward_gap, transition_gap; pose proof (Rabs_pos (fsum (states H)
          (fun o => (pushforward eqO M sig x j o - kern H (sig x) j o) * vmax H qh o))); lra.
    + intros y j Hy Hj; apply (pmax_ub (states M) (adm M) (statewise_source eqO M H sig qh)); assumption.
Qed.

(** Δ_exact ≤ max e for any supersolution e ≥ F e of the state-wise map (in particular its
    least fixed point): the first inequality of the ordering of docs/theory.md §3. *)
Theorem ais_gap_exact_le_statewise :
  forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
         (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R)
         (g : R) (e : Y -> B -> R),
    ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
    bellman_fixed_point M q -> bellman_fixed_point H qh ->
    (forall y j, In y (states M) -> In j (adm M y) ->
       statewise_map M (statewise_source eqO M H sig qh) e y j <= e y j) ->
    exact_gap M sig q qh <= pmax (states M) (adm M) e.
Proof.
  intros Y O B eqO M H sig q qh g e Hc HK Hg Hg01 Hq Hqh Hsup.
  unfold exact_gap; apply pmax_mono; intros y j Hy Hj.
  destruct (ais_gap_statewise_sound Y O B eqO M H sig q qh g 0 e Hc HK Hg Hg01 Hq Hqh
              (Rle_refl 0)) as [C _].
  - intros y0 j0 Hy0 Hj0; specialize (Hsup y0 j0 Hy0 Hj0); lra.
  - specialize (C y j Hy Hj); unfold Rdiv in C; rewrite Rmult_0_l in C; lra.
Qed.

(** The ordering of docs/theory.md §3 for the fixed point e = F e:
    Δ_exact ≤ max e ≤ Δ_va = (ε + D)/(1 − γ̄) ≤ Δ_AIS = (ε + γ̄ L_V δ)/(1 − γ̄). *)
Theorem ais_gap_ordering :
  forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
         (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R)
         (g L delta : R) (e : Y -> B -> R),
    ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
    bellman_fixed_point M q -> bellman_fixed_point H qh ->
    (forall y j, In y (states M) -> In j (adm M y) ->
       e y j = statewise_map M (statewise_source eqO M H sig qh) e y j) ->
    0 <= delta ->
    (forall y j, In y (states M) -> In j (adm M y) -> tv_gap eqO M H sig y j <= g * delta) ->
    fmax (states H) (fun o => Rabs (vmax H qh o)) <= L ->
    exact_gap M sig q qh <= pmax (states M) (adm M) e /\
    pmax (states M) (adm M) e <= (ais_eps M H sig + ais_D eqO M H sig qh) / (1 - g) /\
    (ais_eps M H sig + ais_D eqO M H sig qh) / (1 - g)
      <= (ais_eps M H sig + g * L * delta) / (1 - g).
Proof.
  intros Y O B eqO M H sig q qh g L delta e Hc HK Hg Hg01 Hq Hqh Hfix Hdel Htv HL.
  set (a := statewise_source eqO M H sig qh) in *.
  assert (Hres : forall y j, In y (states M) -> In j (adm M y) -> statewise_map M a e y j - e y j <= 0).
  { intros y j Hy Hj; rewrite <- (Hfix y j Hy Hj); lra. }
  assert (Ha0 : forall y j, In y (states M) -> In j (adm M y) -> 0 <= a y j).
  { intros y j _ _; unfold a, statewise_source, reward_gap, transition_gap.
    pose proof (Rabs_pos (rew M y j - rew H (sig y) j)).
    pose proof (Rabs_pos (fsum (states H)
          (fun o => (pushforward eqO M sig y j o - kern H (sig y) j o) * vmax H qh o))); lra. }
  (* the fixed point is nonnegative: 0 is a subsolution, e a supersolution *)
  assert (He0 : forall y j, In y (states M) -> In j (adm M y) -> 0 <= e y j).
  { intros y j Hy Hj.
    pose proof (statewise_comparison Y B M g 0 a (fun _ _ => 0) e HK Hg Hg01 (Rle_refl 0)) as C.
    assert (Hz : forall y j, In y (states M) -> In j (adm M y) ->
                 (fun _ _ => 0) y j <= statewise_map M a (fun _ _ => 0) y j).
    { intros y0 j0 Hy0 Hj0; unfold statewise_map, vmax.
      rewrite (fsum_ext _ _ (fun _ => 0)), fsum_const_zero.
      - specialize (Ha0 y0 j0 Hy0 Hj0); simpl; lra.
      - intros y' _; replace (fmax (adm M y') (fun _ : B => 0)) with 0; [ring|].
        destruct (adm M y') as [|b t] eqn:Ea; [reflexivity|].
        rewrite <- Ea; destruct (fmax_attained (adm M y') (fun _ : B => 0)) as [c [_ E]];
          [rewrite Ea; discriminate | rewrite E; reflexivity]. }
    specialize (C Hz Hres y j Hy Hj); unfold Rdiv in C; rewrite Rmult_0_l in C; lra. }
  assert (HD0 : 0 <= ais_D eqO M H sig qh) by (apply pmax_nonneg; intros; apply Rabs_pos).
  assert (He00 : 0 <= ais_eps M H sig) by (apply pmax_nonneg; intros; apply Rabs_pos).
  split; [|split].
  - unfold exact_gap; apply pmax_mono; intros y j Hy Hj.
    pose proof (statewise_comparison Y B M g 0 a (q_gap sig q qh) e HK Hg Hg01 (Rle_refl 0)
                  (ais_gap_recursion Y O B eqO M H sig q qh Hc HK Hq Hqh) Hres y j Hy Hj) as C.
    unfold Rdiv in C; rewrite Rmult_0_l in C; lra.
  - apply (statewise_subsolution_max Y B M g _ a); try assumption; [lra | |].
    + intros y j Hy Hj; unfold a, statewise_source, ais_eps, ais_D.
      pose proof (pmax_ub (states M) (adm M) (reward_gap M H sig) y j Hy Hj).
      pose proof (pmax_ub (states M) (adm M) (transition_gap eqO M H sig (vmax H qh)) y j Hy Hj).
      lra.
    + intros y j Hy Hj; rewrite <- (Hfix y j Hy Hj); lra.
  - unfold Rdiv; apply Rmult_le_compat_r; [apply Rlt_le, Rinv_0_lt_compat; lra|].
    apply Rplus_le_compat_l; unfold ais_D.
    apply pmax_lub_nonneg.
    + assert (0 <= L) by (eapply Rle_trans; [|exact HL]; apply fmax_nonneg; intros; apply Rabs_pos).
      apply Rmult_le_pos; [apply Rmult_le_pos|]; lra.
    + intros y j Hy Hj; apply transition_gap_le_paper; [apply Htv; assumption | exact HL].
Qed.

(** ** Imported result: agent-state Q-learning convergence (docs/theory.md §2)

    Not proved here.  Kara & Yüksel (2023) and Sinha, Geist & Mahajan (2024) show that
    tabular Q-learning on agent states, under a fixed behaviour policy whose induced
    chain has stationary law μ, converges to the optimal Q of the AIS model built with
    μ.  It enters only as the named premise below. *)
Definition agent_state_q_convergence {O B : Type} (H : smdp O B)
  (Qk : nat -> O -> B -> R) (qh : O -> B -> R) : Prop :=
  forall o j, In o (states H) -> In j (adm H o) -> Un_cv (fun k => Qk k o j) (qh o j).

(** Corollary (paper, docs/theory.md §6 with ε_approx = 0, T → ∞): the tabular IC-Q iterates
    end within Δ_va (hence within Δ_AIS) of the latent optimum Q*. *)
Theorem tabular_icq_limit_gap :
  forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
         (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q : Y -> B -> R) (qh : O -> B -> R)
         (Qk : nat -> O -> B -> R) (g eps D : R),
    agent_state_q_convergence H Qk qh ->
    ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
    bellman_fixed_point M q -> bellman_fixed_point H qh ->
    0 <= eps -> 0 <= D ->
    (forall y j, In y (states M) -> In j (adm M y) -> reward_gap M H sig y j <= eps) ->
    (forall y j, In y (states M) -> In j (adm M y) ->
       transition_gap eqO M H sig (vmax H qh) y j <= D) ->
    forall y j, In y (states M) -> In j (adm M y) ->
    forall eta, 0 < eta ->
    exists N, forall k, (k >= N)%nat -> Rabs (Qk k (sig y) j - q y j) <= (eps + D) / (1 - g) + eta.
Proof.
  intros Y O B eqO M H sig q qh Qk g eps D Hconv Hc HK Hg Hg01 Hq Hqh He HD Heps HDD
         y j Hy Hj eta Heta.
  pose proof (ais_gap_value_aware Y O B eqO M H sig q qh g eps D Hc HK Hg Hg01 Hq Hqh He HD Heps HDD)
    as Hva.
  destruct Hc as [Hnd [Hin Hadm]].
  destruct (Hconv (sig y) j (Hin y Hy) ltac:(rewrite <- Hadm; assumption) eta Heta) as [N HN].
  exists N; intros k Hk.
  specialize (HN k Hk); unfold R_dist in HN.
  assert (Hgap : q_gap sig q qh y j <= exact_gap M sig q qh)
    by (apply (pmax_ub (states M) (adm M) (q_gap sig q qh)); assumption).
  unfold q_gap in Hgap.
  replace (Qk k (sig y) j - q y j) with ((Qk k (sig y) j - qh (sig y) j) + - (q y j - qh (sig y) j))
    by ring.
  eapply Rle_trans; [apply Rabs_triang|]; rewrite Rabs_Ropp; lra.
Qed.
