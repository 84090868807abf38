(** * Finite sums and maxima over lists

    docs/theory.md states every lemma over finite index sets (latent states, observations,
    admissible successors, durations 1..T_max).  Here a finite index set is a list and
    the two operations used throughout are

    - [fsum l f]  = Σ_{a ∈ l} f a
    - [fmax l f]  = max_{a ∈ l} f a   (0 for the empty list)
    - [pmax xs J f] = max_{x ∈ xs} max_{j ∈ J x} f x j   (max over state-action pairs)

    The convention [fmax [] f = 0] matches the numerical code, where a maximum over an
    empty set of nonnegative quantities is 0; every lemma below that needs a nonempty
    list says so. *)

From Coq Require Import Reals Lra Psatz List.
Import ListNotations.
Local Open Scope R_scope.

Definition fsum {A : Type} (l : list A) (f : A -> R) : R :=
  fold_right (fun a s => f a + s) 0 l.

Definition fmax {A : Type} (l : list A) (f : A -> R) : R :=
  match l with
  | [] => 0
  | a :: t => fold_right (fun b m => Rmax (f b) m) (f a) t
  end.

Definition pmax {X B : Type} (xs : list X) (J : X -> list B) (f : X -> B -> R) : R :=
  fmax xs (fun x => fmax (J x) (f x)).

(** ** Sums *)
Section Sums.
Context {A : Type}.
Implicit Types (l : list A) (f g : A -> R).

Lemma fsum_nil f : fsum [] f = 0.
Proof. reflexivity. Qed.

Lemma fsum_cons a l f : fsum (a :: l) f = f a + fsum l f.
Proof. reflexivity. Qed.

Lemma fsum_app l1 l2 f : fsum (l1 ++ l2) f = fsum l1 f + fsum l2 f.
Proof. induction l1 as [|a l IH]; simpl; [ring | rewrite IH; ring]. Qed.

Lemma fsum_ext l f g : (forall a, In a l -> f a = g a) -> fsum l f = fsum l g.
Proof.
  induction l as [|a l IH]; intros H; simpl; [reflexivity|].
  rewrite (H a (or_introl eq_refl)), IH; [reflexivity|].
  intros b Hb; apply H; right; exact Hb.
Qed.

Lemma fsum_plus l f g : fsum l (fun a => f a + g a) = fsum l f + fsum l g.
Proof. induction l as [|a l IH]; simpl; [ring | rewrite IH; ring]. Qed.

Lemma fsum_minus l f g : fsum l (fun a => f a - g a) = fsum l f - fsum l g.
Proof. induction l as [|a l IH]; simpl; [ring | rewrite IH; ring]. Qed.

Lemma fsum_scal_l l c f : fsum l (fun a => c * f a) = c * fsum l f.
Proof. induction l as [|a l IH]; simpl; [ring | rewrite IH; ring]. Qed.

Lemma fsum_scal_r l c f : fsum l (fun a => f a * c) = fsum l f * c.
Proof. induction l as [|a l IH]; simpl; [ring | rewrite IH; ring]. Qed.

Lemma fsum_const_zero l : fsum l (fun _ => 0) = 0.
Proof. induction l as [|a l IH]; simpl; [reflexivity | rewrite IH; ring]. Qed.

Lemma fsum_le l f g : (forall a, In a l -> f a <= g a) -> fsum l f <= fsum l g.
Proof.
  induction l as [|a l IH]; intros H; simpl; [lra|].
  apply Rplus_le_compat; [apply H; left; reflexivity|].
  apply IH; intros b Hb; apply H; right; exact Hb.
Qed.

Lemma fsum_nonneg l f : (forall a, In a l -> 0 <= f a) -> 0 <= fsum l f.
Proof.
  intros H; rewrite <- (fsum_const_zero l); apply fsum_le; exact H.
Qed.

Lemma fsum_abs l f : Rabs (fsum l f) <= fsum l (fun a => Rabs (f a)).
Proof.
  induction l as [|a l IH]; simpl.
  - rewrite Rabs_R0; lra.
  - eapply Rle_trans; [apply Rabs_triang|]; lra.
Qed.

End Sums.

Lemma fsum_swap {A B : Type} (l1 : list A) (l2 : list B) (F : A -> B -> R) :
  fsum l1 (fun a => fsum l2 (fun b => F a b)) = fsum l2 (fun b => fsum l1 (fun a => F a b)).
Proof.
  induction l1 as [|a l IH]; simpl.
  - symmetry; apply fsum_const_zero.
  - rewrite IH, <- fsum_plus; reflexivity.
Qed.

(** ** Maxima *)
Section Maxima.
Context {A : Type}.
Implicit Types (l : list A) (f g : A -> R).

Lemma foldmax_ge_init f i l : i <= fold_right (fun b m => Rmax (f b) m) i l.
Proof.
  induction l as [|a l IH]; simpl; [lra|].
  eapply Rle_trans; [exact IH | apply Rmax_r].
Qed.

Lemma foldmax_ge f i l a : In a l -> f a <= fold_right (fun b m => Rmax (f b) m) i l.
Proof.
  induction l as [|b l IH]; simpl; [tauto|].
  intros [<-|H]; [apply Rmax_l|].
  eapply Rle_trans; [exact (IH H) | apply Rmax_r].
Qed.

Lemma foldmax_lub f i l M :
  i <= M -> (forall a, In a l -> f a <= M) -> fold_right (fun b m => Rmax (f b) m) i l <= M.
Proof.
  intros Hi; induction l as [|a l IH]; intros H; simpl; [exact Hi|].
  apply Rmax_lub; [apply H; left; reflexivity|].
  apply IH; intros b Hb; apply H; right; exact Hb.
Qed.

Lemma foldmax_attained f i l :
  fold_right (fun b m => Rmax (f b) m) i l = i \/
  exists a, In a l /\ fold_right (fun b m => Rmax (f b) m) i l = f a.
Proof.
  induction l as [|a l IH]; simpl; [left; reflexivity|].
  apply Rmax_case_strong; intros _.
  - right; exists a; split; [left|]; reflexivity.
  - destruct IH as [E|[b [Hb E]]]; [left; exact E|].
    right; exists b; split; [right; exact Hb | exact E].
Qed.

Lemma fmax_nil f : fmax [] f = 0.
Proof. reflexivity. Qed.

Lemma fmax_ub l f a : In a l -> f a <= fmax l f.
Proof.
  destruct l as [|b t]; simpl; [tauto|].
  intros [<-|H]; [apply foldmax_ge_init | apply foldmax_ge; exact H].
Qed.

Lemma fmax_lub l f M : l <> [] -> (forall a, In a l -> f a <= M) -> fmax l f <= M.
Proof.
  destruct l as [|b t]; [congruence|]; intros _ H; simpl.
  apply foldmax_lub; [apply H; left; reflexivity|].
  intros a Ha; apply H; right; exact Ha.
Qed.

Lemma fmax_lub_nonneg l f M : 0 <= M -> (forall a, In a l -> f a <= M) -> fmax l f <= M.
Proof.
  destruct l as [|b t]; intros HM H; [simpl; exact HM|].
  apply fmax_lub; [discriminate | exact H].
Qed.

Lemma fmax_attained l f : l <> [] -> exists a, In a l /\ fmax l f = f a.
Proof.
  destruct l as [|b t]; [congruence|]; intros _; simpl.
  destruct (foldmax_attained f (f b) t) as [E|[a [Ha E]]].
  - exists b; split; [left; reflexivity | exact E].
  - exists a; split; [right; exact Ha | exact E].
Qed.

Lemma fmax_nonneg l f : (forall a, In a l -> 0 <= f a) -> 0 <= fmax l f.
Proof.
  destruct l as [|b t]; intros H; [simpl; lra|].
  eapply Rle_trans; [apply (H b); left; reflexivity | apply fmax_ub; left; reflexivity].
Qed.

Lemma fmax_ext l f g : (forall a, In a l -> f a = g a) -> fmax l f = fmax l g.
Proof.
  destruct l as [|b t]; intros H; [reflexivity|]; simpl.
  rewrite (H b (or_introl eq_refl)).
  assert (E : forall a, In a t -> f a = g a) by (intros a Ha; apply H; right; exact Ha).
  clear H; induction t as [|a t IH]; simpl; [reflexivity|].
  rewrite (E a (or_introl eq_refl)), IH; [reflexivity|].
  intros c Hc; apply E; right; exact Hc.
Qed.

Lemma fmax_mono l f g : (forall a, In a l -> f a <= g a) -> fmax l f <= fmax l g.
Proof.
  destruct l as [|b t] eqn:El; intros H; [simpl; lra|].
  rewrite <- El in *.
  destruct (fmax_attained l f) as [a [Ha E]]; [rewrite El; discriminate|].
  rewrite E; eapply Rle_trans; [apply H; exact Ha | apply fmax_ub; exact Ha].
Qed.

(** |max f − max g| ≤ max |f − g|, with no nonemptiness assumption (both sides are 0 on []). *)
Lemma fmax_abs_diff l f g : Rabs (fmax l f - fmax l g) <= fmax l (fun a => Rabs (f a - g a)).
Proof.
  destruct l as [|b t] eqn:El; [simpl; rewrite Rminus_0_r, Rabs_R0; lra|].
  rewrite <- El.
  assert (Hne : l <> []) by (rewrite El; discriminate).
  destruct (fmax_attained l f Hne) as [a [Ha Ea]].
  destruct (fmax_attained l g Hne) as [c [Hc Ec]].
  apply Rabs_le; split.
  -     assert (f c <= fmax l f) by (apply fmax_ub; exact Hc).
    assert (Rabs (f c - g c) <= fmax l (fun a => Rabs (f a - g a)))
      by (apply (fmax_ub l (fun a => Rabs (f a - g a))); exact Hc).
    assert (- (f c - g c) <= Rabs (f c - g c)) by (rewrite <- Rabs_Ropp; apply Rle_abs).
    lra.
  - assert (g a <= fmax l g) by (apply fmax_ub; exact Ha).
    assert (Rabs (f a - g a) <= fmax l (fun a => Rabs (f a - g a)))
      by (apply (fmax_ub l (fun a => Rabs (f a - g a))); exact Ha).
    pose proof (Rle_abs (f a - g a)). lra.
Qed.

(** max f − max g ≤ max (f − g)⁺, again valid on the empty list. *)
Lemma fmax_sub_le l f g : fmax l f - fmax l g <= fmax l (fun a => Rmax 0 (f a - g a)).
Proof.
  destruct l as [|b t] eqn:El; [simpl; lra|].
  rewrite <- El.
  assert (Hne : l <> []) by (rewrite El; discriminate).
  destruct (fmax_attained l f Hne) as [a [Ha Ea]].
  assert (g a <= fmax l g) by (apply fmax_ub; exact Ha).
  assert (Rmax 0 (f a - g a) <= fmax l (fun a => Rmax 0 (f a - g a)))
    by (apply (fmax_ub l (fun a => Rmax 0 (f a - g a))); exact Ha).
  pose proof (Rmax_r 0 (f a - g a)). lra.
Qed.

End Maxima.

(** ** Maxima over state-action pairs *)
Section PairMaxima.
Context {X B : Type}.
Implicit Types (xs : list X) (J : X -> list B) (f g : X -> B -> R).

Lemma pmax_ub xs J f x j : In x xs -> In j (J x) -> f x j <= pmax xs J f.
Proof.
  intros Hx Hj; unfold pmax.
  eapply Rle_trans; [apply (fmax_ub (J x) (f x) j Hj)|].
  apply (fmax_ub xs (fun x => fmax (J x) (f x)) x Hx).
Qed.

Lemma pmax_lub_nonneg xs J f M :
  0 <= M -> (forall x j, In x xs -> In j (J x) -> f x j <= M) -> pmax xs J f <= M.
Proof.
  intros HM H; unfold pmax; apply fmax_lub_nonneg; [exact HM|].
  intros x Hx; apply fmax_lub_nonneg; [exact HM|].
  intros j Hj; apply H; assumption.
Qed.

Lemma pmax_nonneg xs J f :
  (forall x j, In x xs -> In j (J x) -> 0 <= f x j) -> 0 <= pmax xs J f.
Proof.
  intros H; unfold pmax; apply fmax_nonneg; intros x Hx; apply fmax_nonneg.
  intros j Hj; apply H; assumption.
Qed.

Lemma pmax_mono xs J f g :
  (forall x j, In x xs -> In j (J x) -> f x j <= g x j) -> pmax xs J f <= pmax xs J g.
Proof.
  intros H; unfold pmax; apply fmax_mono; intros x Hx; apply fmax_mono.
  intros j Hj; apply H; assumption.
Qed.

End PairMaxima.

(** ** Two real facts used across files *)

Lemma abs_le_split (x a : R) : Rabs x <= a -> - a <= x <= a.
Proof.
  intros H; pose proof (Rle_abs x); pose proof (Rle_abs (- x)); rewrite Rabs_Ropp in *; lra.
Qed.

(** x^n ≤ x^m for 0 ≤ x ≤ 1 and m ≤ n *)
Lemma pow_le_decr (x : R) (m n : nat) : 0 <= x <= 1 -> (m <= n)%nat -> x ^ n <= x ^ m.
Proof.
  intros Hx Hmn; induction Hmn as [|n Hmn IH]; [lra|].
  simpl; pose proof (pow_le x n (proj1 Hx)); nra.
Qed.
