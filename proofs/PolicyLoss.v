(** * Lemma P: loss of the decentralized greedy policy (docs/theory.md §3)

    π̂ is greedy for Q̂ on observations; it acts in the latent model through σ:
    the latent policy is y ↦ π̂(σ y).  V*(y) = max_j Q*(y,j) and V^π̂(y) = Q^π̂(y, π̂(σ y)),
    with Q^π̂ the policy-evaluation fixed point in the latent model.

    - [greedy_policy_loss]: if Δ bounds both |Q* − Q̂∘σ| (on the pairs at y) and
      |Q^π̂ − Q̂∘σ| (at the greedy action), then V*(y) − V^π̂(y) ≤ 2Δ.
    - [greedy_policy_loss_value_aware], [greedy_policy_loss_statewise]: Δ_va, Δ_AIS and
      the state-wise bound do bound both gaps, so V* − V^π̂ ≤ 2Δ holds for them.
    - [greedy_policy_loss_exact_gap]: from |Q* − Q̂∘σ| ≤ Δ alone (Δ_exact), only
      V* − V^π̂ ≤ 2Δ/(1 − γ̄) follows, and
    - [exact_gap_policy_loss_not_2delta]: the 2Δ_exact claim of docs/theory.md §3 is false
      (a two-state counterexample, machine-checked). *)

From Coq Require Import Reals Lra List.
From ICQ Require Import Finite Contraction AisGap.
Import ListNotations.
Local Open Scope R_scope.

(** π is greedy for qh: it picks an admissible successor of maximal value. *)
Definition greedy {O B : Type} (H : smdp O B) (qh : O -> B -> R) (pi : O -> B) : Prop :=
  forall o, In o (states H) ->
    In (pi o) (adm H o) /\ (forall j, In j (adm H o) -> qh o j <= qh o (pi o)).

(** qp is the action-value function of the stationary policy pol:
    Q^pol(x,j) = r̄(x,j) + Σ_{x'} K(x'|x,j) Q^pol(x', pol x'). *)
Definition policy_eval_fixed_point {S B : Type} (M : smdp S B) (pol : S -> B)
  (qp : S -> B -> R) : Prop :=
  forall x j, In x (states M) -> In j (adm M x) ->
    qp x j = rew M x j + fsum (states M) (fun x' => kern M x j x' * qp x' (pol x')).

Lemma greedy_vmax {O B : Type} (H : smdp O B) (qh : O -> B -> R) (pi : O -> B) (o : O) :
  greedy H qh pi -> In o (states H) -> vmax H qh o = qh o (pi o).
Proof.
  intros Hg Ho; destruct (Hg o Ho) as [Hin Hmax]; unfold vmax.
  apply Rle_antisym; [|apply fmax_ub; exact Hin].
  destruct (fmax_attained (adm H o) (qh o)) as [a [Ha ->]];
    [intros E; rewrite E in Hin; contradiction | apply Hmax; exact Ha].
Qed.

(** Lemma P, one state: both gaps ≤ Δ ⇒ V*(y) − V^π̂(y) ≤ 2Δ. *)
Theorem greedy_policy_loss :
  forall (Y O B : Type) (M : smdp Y B) (H : smdp O B) (sig : Y -> O)
         (q qp : Y -> B -> R) (qh : O -> B -> R) (pi : O -> B) (Delta : R) (y : Y),
    adm M y = adm H (sig y) -> In (sig y) (states H) -> greedy H qh pi ->
    (forall j, In j (adm M y) -> Rabs (q y j - qh (sig y) j) <= Delta) ->
    Rabs (qp y (pi (sig y)) - qh (sig y) (pi (sig y))) <= Delta ->
    vmax M q y - qp y (pi (sig y)) <= 2 * Delta.
Proof.
  intros Y O B M H sig q qp qh pi Delta y Hadm Hin Hg Hq Hqp.
  destruct (Hg (sig y) Hin) as [Hpi Hmax].
  unfold vmax; rewrite Hadm in *.
  destruct (fmax_attained (adm H (sig y)) (q y)) as [a [Ha ->]];
    [intros E; rewrite E in Hpi; contradiction|].
  specialize (Hq a Ha); specialize (Hmax a Ha).
  apply abs_le_split in Hq; apply abs_le_split in Hqp; lra.
Qed.

(** |Q^π̂ − Q̂*∘σ| satisfies the same state-wise recursion as |Q* − Q̂*∘σ|, with the same
    source, because V̂^π̂ = V̂* when π̂ is greedy for Q̂*. *)
Theorem policy_gap_recursion :
  forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
         (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (qp : Y -> B -> R) (qh : O -> B -> R)
         (pi : O -> B),
    ais_compatible M H sig -> kernel_nonneg M -> greedy H qh pi ->
    policy_eval_fixed_point M (fun y => pi (sig y)) qp -> bellman_fixed_point H qh ->
    forall y j, In y (states M) -> In j (adm M y) ->
      q_gap sig qp qh y j
        <= statewise_map M (statewise_source eqO M H sig qh) (q_gap sig qp qh) y j.
Proof.
  intros Y O B eqO M H sig qp qh pi Hc HK Hg Hqp Hqh y j Hy Hj.
  destruct Hc as [Hnd [Hin Hadm]].
  unfold statewise_map, statewise_source.
  apply (gap_recursion_generic eqO M H sig qp qh (fun y' => qp y' (pi (sig y'))) (vmax H qh));
    [split; [exact Hnd | split; [exact Hin | exact Hadm]] | exact HK | | | | exact Hy | exact Hj].
  - intros y0 j0 Hy0 Hj0; apply Hqp; assumption.
  - intros y0 j0 Hy0 Hj0; apply Hqh; [apply Hin; exact Hy0 | rewrite <- Hadm; assumption].
  - intros y' Hy'; rewrite (greedy_vmax H qh pi (sig y') Hg (Hin y' Hy')).
    unfold vmax; apply (fmax_ub (adm M y') (q_gap sig qp qh y')).
    rewrite Hadm by exact Hy'; apply Hg, Hin; exact Hy'.
Qed.

(** Lemma P with Δ = Δ_va = (ε + D)/(1 − γ̄) (and so with Δ_AIS ≥ Δ_va). *)
Theorem greedy_policy_loss_value_aware :
  forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
         (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q qp : Y -> B -> R) (qh : O -> B -> R)
         (pi : O -> B) (g eps D : R),
    ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
    bellman_fixed_point M q -> bellman_fixed_point H qh -> greedy H qh pi ->
    policy_eval_fixed_point M (fun y => pi (sig y)) qp ->
    0 <= eps -> 0 <= D ->
    (forall y j, In y (states M) -> In j (adm M y) -> reward_gap M H sig y j <= eps) ->
    (forall y j, In y (states M) -> In j (adm M y) ->
       transition_gap eqO M H sig (vmax H qh) y j <= D) ->
    forall y, In y (states M) -> vmax M q y - qp y (pi (sig y)) <= 2 * ((eps + D) / (1 - g)).
Proof.
  intros Y O B eqO M H sig q qp qh pi g eps D Hc HK Hg Hg01 Hq Hqh Hgr Hqp He HD Heps HDD y Hy.
  pose proof (ais_gap_value_aware Y O B eqO M H sig q qh g eps D Hc HK Hg Hg01 Hq Hqh He HD Heps HDD)
    as Hva.
  assert (Hpol : pmax (states M) (adm M) (q_gap sig qp qh) <= (eps + D) / (1 - g)).
  { apply (statewise_subsolution_max Y B M g (eps + D) (statewise_source eqO M H sig qh));
      try assumption; [lra | | | ].
    - intros y0 j0 Hy0 Hj0; unfold statewise_source.
      specialize (Heps y0 j0 Hy0 Hj0); specialize (HDD y0 j0 Hy0 Hj0); lra.
    - intros; apply Rabs_pos.
    - apply (policy_gap_recursion Y O B eqO M H sig qp qh pi); assumption. }
  destruct Hc as [Hnd [Hin Hadm]].
  apply (greedy_policy_loss Y O B M H sig q qp qh pi _ y (Hadm y Hy) (Hin y Hy) Hgr).
  - intros j Hj; eapply Rle_trans; [|exact Hva].
    apply (pmax_ub (states M) (adm M) (q_gap sig q qh)); assumption.
  - eapply Rle_trans; [|exact Hpol].
    apply (pmax_ub (states M) (adm M) (q_gap sig qp qh)); [exact Hy|].
    rewrite Hadm by exact Hy; apply Hgr, Hin; exact Hy.
Qed.

(** Lemma P with the state-wise bound: for any e with residual F e − e ≤ r,
    V* − V^π̂ ≤ 2 (max e + r/(1 − γ̄)). *)
Theorem greedy_policy_loss_statewise :
  forall (Y O B : Type) (eqO : forall a b : O, {a = b} + {a <> b})
         (M : smdp Y B) (H : smdp O B) (sig : Y -> O) (q qp : Y -> B -> R) (qh : O -> B -> R)
         (pi : O -> B) (g r : R) (e : Y -> B -> R),
    ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
    bellman_fixed_point M q -> bellman_fixed_point H qh -> greedy H qh pi ->
    policy_eval_fixed_point M (fun y => pi (sig y)) qp -> 0 <= r ->
    (forall y j, In y (states M) -> In j (adm M y) ->
       statewise_map M (statewise_source eqO M H sig qh) e y j - e y j <= r) ->
    forall y, In y (states M) ->
      vmax M q y - qp y (pi (sig y)) <= 2 * (pmax (states M) (adm M) e + r / (1 - g)).
Proof.
  intros Y O B eqO M H sig q qp qh pi g r e Hc HK Hg Hg01 Hq Hqh Hgr Hqp Hr Hres y Hy.
  assert (Cq := statewise_comparison Y B M g r (statewise_source eqO M H sig qh) (q_gap sig q qh) e
                  HK Hg Hg01 Hr (ais_gap_recursion Y O B eqO M H sig q qh Hc HK Hq Hqh) Hres).
  assert (Cp := statewise_comparison Y B M g r (statewise_source eqO M H sig qh) (q_gap sig qp qh) e
                  HK Hg Hg01 Hr (policy_gap_recursion Y O B eqO M H sig qp qh pi Hc HK Hgr Hqp Hqh) Hres).
  destruct Hc as [Hnd [Hin Hadm]].
  apply (greedy_policy_loss Y O B M H sig q qp qh pi _ y (Hadm y Hy) (Hin y Hy) Hgr).
  - intros j Hj; specialize (Cq y j Hy Hj); unfold q_gap in Cq.
    pose proof (pmax_ub (states M) (adm M) e y j Hy Hj); lra.
  - assert (Hj : In (pi (sig y)) (adm M y))
      by (rewrite Hadm by exact Hy; apply Hgr, Hin; exact Hy).
    specialize (Cp y _ Hy Hj); unfold q_gap in Cp.
    pose proof (pmax_ub (states M) (adm M) e y _ Hy Hj); lra.
Qed.

(** What Δ_exact alone gives (the classical greedy-policy bound of Singh & Yee, 1994):
    |Q* − Q̂∘σ| ≤ Δ on every pair ⇒ V* − V^π̂ ≤ 2Δ/(1 − γ̄).  Q̂ may be any function. *)
Theorem greedy_policy_loss_exact_gap :
  forall (Y O B : Type) (M : smdp Y B) (H : smdp O B) (sig : Y -> O)
         (q qp : Y -> B -> R) (qh : O -> B -> R) (pi : O -> B) (g Delta : R),
    ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
    bellman_fixed_point M q -> greedy H qh pi ->
    policy_eval_fixed_point M (fun y => pi (sig y)) qp -> 0 <= Delta ->
    (forall y j, In y (states M) -> In j (adm M y) -> q_gap sig q qh y j <= Delta) ->
    forall y, In y (states M) -> vmax M q y - qp y (pi (sig y)) <= 2 * Delta / (1 - g).
Proof.
  intros Y O B M H sig q qp qh pi g Delta [Hnd [Hin Hadm]] HK Hg [Hg0 Hg1] Hq Hgr Hqp HD Hgap.
  set (w := fun y => vmax M q y - qp y (pi (sig y))).
  set (m := fmax (states M) (fun y => Rmax 0 (w y))).
  assert (Hm0 : 0 <= m) by (apply fmax_nonneg; intros; apply Rmax_l).
  assert (Hb : forall y, In y (states M) -> In (pi (sig y)) (adm M y))
    by (intros y Hy; rewrite Hadm by exact Hy; apply Hgr, Hin; exact Hy).
  assert (Hstep : forall y, In y (states M) -> w y <= 2 * Delta + g * m).
  { intros y Hy.
    assert (L1 : vmax M q y - q y (pi (sig y)) <= 2 * Delta).
    { apply (greedy_policy_loss Y O B M H sig q q qh pi Delta y (Hadm y Hy) (Hin y Hy) Hgr).
      - intros j Hj; apply (Hgap y j Hy Hj).
      - apply (Hgap y _ Hy (Hb y Hy)). }
    assert (L2 : q y (pi (sig y)) - qp y (pi (sig y)) <= g * m).
    { rewrite (Hq y _ Hy (Hb y Hy)), (Hqp y _ Hy (Hb y Hy)); unfold bellman.
      assert (E : fsum (states M) (fun y' => kern M y (pi (sig y)) y' * vmax M q y')
                  - fsum (states M) (fun y' => kern M y (pi (sig y)) y' * qp y' (pi (sig y')))
                  = fsum (states M) (fun y' => kern M y (pi (sig y)) y' * w y')).
      { rewrite <- fsum_minus; apply fsum_ext; intros; unfold w; ring. }
      assert (fsum (states M) (fun y' => kern M y (pi (sig y)) y' * w y') <= g * m).
      { apply Rle_trans with (fsum (states M) (fun y' => kern M y (pi (sig y)) y' * m)).
        - apply fsum_le; intros y' Hy'; apply Rmult_le_compat_l; [apply HK; auto|].
          eapply Rle_trans; [apply Rmax_r|].
          apply (fmax_ub (states M) (fun y => Rmax 0 (w y))); exact Hy'.
        - rewrite fsum_scal_r; apply Rmult_le_compat_r; [exact Hm0 | apply Hg; auto]. }
      lra. }
    unfold w; lra. }
  assert (Hm : m <= 2 * Delta + 0 + g * m).
  { apply fmax_lub_nonneg; [nra|]; intros y Hy; apply Rmax_lub; [nra|].
    specialize (Hstep y Hy); lra. }
  pose proof (ais_gap_value_aware_scalar (2 * Delta) 0 g m Hg1 Hm) as Hm'.
  rewrite Rplus_0_r in Hm'.
  intros y Hy.
  assert (Hw : w y <= m).
  { eapply Rle_trans; [apply Rmax_r|]; apply (fmax_ub (states M) (fun y => Rmax 0 (w y))); exact Hy. }
  unfold w in Hw; lra.
Qed.

(** ** docs/theory.md §3 claims V* − V^π̂ ≤ 2Δ "for each of the Δ above"; for Δ_exact it fails.

    Two latent states 0, 1 share one observation; successors a (= true), b (= false);
    every invocation moves to state 1 with K = 9/10 (γ̄ = 9/10).
    r̄(0,a) = 2, r̄(0,b) = 0, r̄(1,a) = 0, r̄(1,b) = 1.  The AIS model is the μ-average with
    μ(·|ô) uniform: r̂(a) = 1, r̂(b) = 1/2, K̂ = 9/10.
    Q* = (11, 9; 9, 10), Q̂* = (10, 19/2), so Δ_exact = 1; π̂ = a everywhere, and
    Q^π̂(1,a) = 0 while V*(1) = 10 > 2 Δ_exact = 2.  (2Δ_exact/(1 − γ̄) = 20 holds.) *)

Definition cx_M : smdp nat bool :=
  Smdp [0%nat; 1%nat] (fun _ => [true; false])
       (fun y j => match y, j with
                   | 0%nat, true => 2 | 0%nat, false => 0
                   | _, true => 0 | _, false => 1 end)
       (fun _ _ y' => if Nat.eqb y' 1 then 9 / 10 else 0).

Definition cx_H : smdp unit bool :=
  Smdp [tt] (fun _ => [true; false]) (fun _ j => if j then 1 else 1 / 2) (fun _ _ _ => 9 / 10).

Definition cx_q (y : nat) (j : bool) : R :=
  match y, j with 0%nat, true => 11 | 0%nat, false => 9 | _, true => 9 | _, false => 10 end.

Definition cx_qh (o : unit) (j : bool) : R := if j then 10 else 19 / 2.

Definition cx_qp (y : nat) (j : bool) : R :=
  match y, j with 0%nat, true => 2 | 0%nat, false => 0 | _, true => 0 | _, false => 1 end.

Ltac cx_compute :=
  cbv [bellman vmax fsum fmax fold_right cx_M cx_H cx_q cx_qh cx_qp states adm rew kern
       Nat.eqb q_gap];
  repeat match goal with
         | |- context [Rmax ?a ?b] =>
             first [rewrite (Rmax_left a b) by lra | rewrite (Rmax_right a b) by lra]
         end.

Theorem exact_gap_policy_loss_not_2delta :
  ~ (forall (Y O B : Type) (M : smdp Y B) (H : smdp O B) (sig : Y -> O)
            (q qp : Y -> B -> R) (qh : O -> B -> R) (pi : O -> B) (g Delta : R),
       ais_compatible M H sig -> kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 ->
       bellman_fixed_point M q -> bellman_fixed_point H qh -> greedy H qh pi ->
       policy_eval_fixed_point M (fun y => pi (sig y)) qp ->
       (forall y j, In y (states M) -> In j (adm M y) -> q_gap sig q qh y j <= Delta) ->
       forall y, In y (states M) -> vmax M q y - qp y (pi (sig y)) <= 2 * Delta).
Proof.
  intros Claim.
  assert (Hc : ais_compatible cx_M cx_H (fun _ => tt)).
  { split; [repeat constructor; simpl; tauto|]; split; [intros; left; reflexivity | reflexivity]. }
  assert (HK : kernel_nonneg cx_M).
  { intros x j x' _ _ Hx'; destruct Hx' as [<-|[<-|[]]]; cx_compute; lra. }
  assert (Hg : row_mass_le cx_M (9 / 10)).
  { intros x j _ _; cx_compute; lra. }
  assert (Hq : bellman_fixed_point cx_M cx_q).
  { intros x j Hx Hj; destruct Hx as [<-|[<-|[]]]; destruct Hj as [<-|[<-|[]]]; cx_compute; lra. }
  assert (Hqh : bellman_fixed_point cx_H cx_qh).
  { intros o j Ho Hj; destruct o; destruct Hj as [<-|[<-|[]]]; cx_compute; lra. }
  assert (Hgr : greedy cx_H cx_qh (fun _ => true)).
  { intros o _; split; [left; reflexivity|].
    intros j [<-|[<-|[]]]; cx_compute; lra. }
  assert (Hqp : policy_eval_fixed_point cx_M (fun y => (fun _ : unit => true) ((fun _ : nat => tt) y)) cx_qp).
  { intros x j Hx Hj; destruct Hx as [<-|[<-|[]]]; destruct Hj as [<-|[<-|[]]]; cx_compute; lra. }
  assert (Hgap : forall y j, In y (states cx_M) -> In j (adm cx_M y) ->
                   q_gap (fun _ => tt) cx_q cx_qh y j <= 1).
  { intros x j Hx Hj; destruct Hx as [<-|[<-|[]]]; destruct Hj as [<-|[<-|[]]]; cx_compute;
      apply Rabs_le; lra. }
  pose proof (Claim nat unit bool cx_M cx_H (fun _ => tt) cx_q cx_qp cx_qh (fun _ => true)
                (9 / 10) 1 Hc HK Hg ltac:(lra) Hq Hqh Hgr Hqp Hgap 1%nat
                ltac:(right; left; reflexivity)) as Hbad.
  revert Hbad; cx_compute; lra.
Qed.
