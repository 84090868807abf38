(** * Lemma C: the SMDP Bellman operator is a γ̄-contraction (docs/theory.md §1)

    Epoch-level model in sufficient statistics (docs/theory.md §1): a finite state list,
    admissible successors J(x), mean option reward r̄(x,j) and discounted continuation
    kernel K(x'|x,j) = E[γ^τ 1{X' = x'} | x, j] (nonnegative, row mass ≤ γ̄).

      (T q)(x,j) = r̄(x,j) + Σ_{x'} K(x'|x,j) max_{j' ∈ J(x')} q(x',j')

    [bellman_contraction]: ‖T q − T q'‖∞ ≤ γ̄ ‖q − q'‖∞ over the pairs (x, j ∈ J(x)).
    With γ̄ < 1 this is a contraction; the inequality itself needs only 0 ≤ γ̄. *)

From Coq Require Import Reals Lra List.
From ICQ Require Import Finite.
Import ListNotations.
Local Open Scope R_scope.

(** A finite SMDP in sufficient statistics.  [kern M x j x'] is K(x'|x,j). *)
Record smdp (S B : Type) : Type := Smdp {
  states : list S;
  adm : S -> list B;
  rew : S -> B -> R;
  kern : S -> B -> S -> R
}.
Arguments Smdp {S B}.
Arguments states {S B}.
Arguments adm {S B}.
Arguments rew {S B}.
Arguments kern {S B}.

Section Operators.
Context {S B : Type}.

(** V(x) = max_{j ∈ J(x)} q(x,j) *)
Definition vmax (M : smdp S B) (q : S -> B -> R) (x : S) : R := fmax (adm M x) (q x).

(** The Bellman optimality operator of docs/theory.md §1. *)
Definition bellman (M : smdp S B) (q : S -> B -> R) (x : S) (j : B) : R :=
  rew M x j + fsum (states M) (fun x' => kern M x j x' * vmax M q x').

(** ‖f‖∞ over the state-action pairs of M. *)
Definition supnorm (M : smdp S B) (f : S -> B -> R) : R :=
  pmax (states M) (adm M) (fun x j => Rabs (f x j)).

Definition kernel_nonneg (M : smdp S B) : Prop :=
  forall x j x', In x (states M) -> In j (adm M x) -> In x' (states M) -> 0 <= kern M x j x'.

(** every row mass Σ_{x'} K(x'|x,j) is at most g (g plays γ̄) *)
Definition row_mass_le (M : smdp S B) (g : R) : Prop :=
  forall x j, In x (states M) -> In j (adm M x) -> fsum (states M) (kern M x j) <= g.

(** q solves the Bellman optimality equation on every pair *)
Definition bellman_fixed_point (M : smdp S B) (q : S -> B -> R) : Prop :=
  forall x j, In x (states M) -> In j (adm M x) -> q x j = bellman M q x j.

End Operators.

(** |max f − max g| ≤ max |f − g| over a finite index list (nonempty or not). *)
Theorem max_abs_diff_le :
  forall (A : Type) (l : list A) (f g : A -> R),
    Rabs (fmax l f - fmax l g) <= fmax l (fun a => Rabs (f a - g a)).
Proof. intros A l f g; apply fmax_abs_diff. Qed.

(** Σ K (h) is bounded by (row mass) · ‖h‖ for a nonnegative kernel row. *)
Lemma kernel_sum_abs_le {S B : Type} (M : smdp S B) (g N : R) (h : S -> R) x j :
  kernel_nonneg M -> row_mass_le M g -> 0 <= N ->
  In x (states M) -> In j (adm M x) ->
  (forall x', In x' (states M) -> Rabs (h x') <= N) ->
  Rabs (fsum (states M) (fun x' => kern M x j x' * h x')) <= g * N.
Proof.
  intros HK Hg HN Hx Hj Hh.
  eapply Rle_trans; [apply fsum_abs|].
  apply Rle_trans with (fsum (states M) (fun x' => kern M x j x' * N)).
  - apply fsum_le; intros x' Hx'.
    rewrite Rabs_mult, (Rabs_right (kern M x j x')) by (apply Rle_ge, HK; assumption).
    apply Rmult_le_compat_l; [apply HK; assumption | apply Hh; exact Hx'].
  - rewrite fsum_scal_r.
    apply Rmult_le_compat_r; [exact HN | apply Hg; assumption].
Qed.

(** Lemma C, pointwise form. *)
Theorem bellman_contraction_pointwise :
  forall (S B : Type) (M : smdp S B) (g : R) (q1 q2 : S -> B -> R) (x : S) (j : B),
    kernel_nonneg M -> row_mass_le M g ->
    In x (states M) -> In j (adm M x) ->
    Rabs (bellman M q1 x j - bellman M q2 x j)
      <= g * supnorm M (fun x j => q1 x j - q2 x j).
Proof.
  intros S B M g q1 q2 x j HK Hg Hx Hj.
  unfold bellman.
  assert (E : fsum (states M) (fun x' => kern M x j x' * (vmax M q1 x' - vmax M q2 x'))
             = fsum (states M) (fun x' => kern M x j x' * vmax M q1 x')
               - fsum (states M) (fun x' => kern M x j x' * vmax M q2 x')).
  { rewrite <- fsum_minus; apply fsum_ext; intros; ring. }
  replace (rew M x j + fsum (states M) (fun x' => kern M x j x' * vmax M q1 x') -
           (rew M x j + fsum (states M) (fun x' => kern M x j x' * vmax M q2 x')))
    with (fsum (states M) (fun x' => kern M x j x' * (vmax M q1 x' - vmax M q2 x')))
    by (rewrite E; ring).
  apply kernel_sum_abs_le; try assumption.
  - apply pmax_nonneg; intros; apply Rabs_pos.
  - intros x' Hx'; unfold vmax.
    eapply Rle_trans; [apply fmax_abs_diff|].
    unfold supnorm, pmax.
    apply (fmax_ub (states M) (fun x => fmax (adm M x) (fun j => Rabs (q1 x j - q2 x j))) x' Hx').
Qed.

(** Lemma C (docs/theory.md §1): ‖T q1 − T q2‖∞ ≤ γ̄ ‖q1 − q2‖∞. *)
Theorem bellman_contraction :
  forall (S B : Type) (M : smdp S B) (g : R) (q1 q2 : S -> B -> R),
    kernel_nonneg M -> row_mass_le M g -> 0 <= g ->
    supnorm M (fun x j => bellman M q1 x j - bellman M q2 x j)
      <= g * supnorm M (fun x j => q1 x j - q2 x j).
Proof.
  intros S B M g q1 q2 HK Hg Hg0.
  unfold supnorm at 1; apply pmax_lub_nonneg.
  - apply Rmult_le_pos; [exact Hg0 | apply pmax_nonneg; intros; apply Rabs_pos].
  - intros x j Hx Hj; apply bellman_contraction_pointwise; assumption.
Qed.
