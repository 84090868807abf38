(** * The restart decomposition, end to end (docs/theory.md §9)

    Finite matrices over a list of states [zs]: a row vector [v] times a matrix [M] is
    [vmul zs v M], a matrix times a column vector is [mvec zs M f], and [rpow]/[cpow] iterate
    them.  With P_b = A + e ν₀ᵀ:

    - [restart_path_identity]   v P^t = v A^t + Σ_{s=1..t} (v A^{s−1} e) ν₀ P^{t−s}
      (the index k below is s − 1);
    - [restart_recursion]       B_0 = 1, B_t = A B_{t−1} + e·d(t − 1) computes
      B_t = A^t 1 + Σ_{s=1..t} (A^{s−1} e) d(t − s);
    - [restart_bound_sound]     for a stochastic P_b and any start law v,
      ½‖v P^t − μ‖₁ ≤ Σ_y v(y) B_t(y) with d(u) = ½‖ν₀P^u − μ‖₁: hence d(t) ≤ max_y B_t(y). *)

From Coq Require Import Reals Lra Lia List.
Import ListNotations.
From ICQ Require Import Finite Mixing.
Local Open Scope R_scope.

Definition vmul {Z : Type} (zs : list Z) (v : Z -> R) (M : Z -> Z -> R) : Z -> R :=
  fun z => fsum zs (fun y => v y * M y z).

Definition mvec {Z : Type} (zs : list Z) (M : Z -> Z -> R) (f : Z -> R) : Z -> R :=
  fun y => fsum zs (fun z => M y z * f z).

Fixpoint rpow {Z : Type} (zs : list Z) (M : Z -> Z -> R) (t : nat) (v : Z -> R) : Z -> R :=
  match t with O => v | S t' => vmul zs (rpow zs M t' v) M end.

Fixpoint cpow {Z : Type} (zs : list Z) (M : Z -> Z -> R) (t : nat) (f : Z -> R) : Z -> R :=
  match t with O => f | S t' => mvec zs M (cpow zs M t' f) end.

(** B_t by the recursion of [icq.reference.exact.mixing.restart_bound] *)
Fixpoint brec {Z : Type} (zs : list Z) (A : Z -> Z -> R) (e : Z -> R) (d : nat -> R)
    (t : nat) : Z -> R :=
  match t with
  | O => fun _ => 1
  | S t' => fun y => mvec zs A (brec zs A e d t') y + e y * d t'
  end.

Lemma fsum_map_S (f : nat -> R) (l : list nat) :
  fsum (map S l) f = fsum l (fun k => f (S k)).
Proof. induction l as [|a l IH]; simpl; [reflexivity | rewrite IH; reflexivity]. Qed.

Lemma seq_S_last (t : nat) : seq 0 (S t) = seq 0 t ++ [t].
Proof. rewrite seq_S; reflexivity. Qed.

Lemma seq_S_first (t : nat) : seq 0 (S t) = 0%nat :: map S (seq 0 t).
Proof. simpl; rewrite seq_shift; reflexivity. Qed.


Lemma vmul_ext {Z : Type} (zs : list Z) (w1 w2 : Z -> R) (M : Z -> Z -> R) (z : Z) :
  (forall y, In y zs -> w1 y = w2 y) -> vmul zs w1 M z = vmul zs w2 M z.
Proof. intros H; unfold vmul; apply fsum_ext; intros y Hy; rewrite H by exact Hy; reflexivity. Qed.

Lemma vmul_plus {Z : Type} (zs : list Z) (a b : Z -> R) (M : Z -> Z -> R) (z : Z) :
  vmul zs (fun y => a y + b y) M z = vmul zs a M z + vmul zs b M z.
Proof. unfold vmul; rewrite <- fsum_plus; apply fsum_ext; intros y _; ring. Qed.

Lemma vmul_fsum {Z K : Type} (zs : list Z) (ks : list K) (c : K -> R) (w : K -> Z -> R)
    (M : Z -> Z -> R) (z : Z) :
  vmul zs (fun y => fsum ks (fun k => c k * w k y)) M z
    = fsum ks (fun k => c k * vmul zs (w k) M z).
Proof.
  unfold vmul.
  rewrite (fsum_ext zs _ (fun y => fsum ks (fun k => c k * (w k y * M y z))))
    by (intros y _; rewrite <- fsum_scal_r; apply fsum_ext; intros k _; ring).
  rewrite fsum_swap; apply fsum_ext; intros k _; rewrite fsum_scal_l; reflexivity.
Qed.

Lemma vmul_restart {Z : Type} (zs : list Z) (A : Z -> Z -> R) (e nu w : Z -> R) (z : Z) :
  vmul zs w (fun y x => A y x + e y * nu x) z
    = vmul zs w A z + fsum zs (fun y => w y * e y) * nu z.
Proof. unfold vmul; rewrite <- fsum_scal_r, <- fsum_plus; apply fsum_ext; intros y _; ring. Qed.

Theorem restart_path_identity :
  forall (Z : Type) (zs : list Z) (A : Z -> Z -> R) (e nu v : Z -> R) (t : nat) (z : Z),
    rpow zs (fun y w => A y w + e y * nu w) t v z
      = rpow zs A t v z
        + fsum (seq 0 t) (fun k => fsum zs (fun y => rpow zs A k v y * e y)
                                   * rpow zs (fun y w => A y w + e y * nu w) (t - 1 - k) nu z).
Proof.
  intros Z zs A e nu v t.
  set (P := fun y w => A y w + e y * nu w).
  induction t as [|t IH]; intros z.
  - simpl; ring.
  - change (rpow zs P (S t) v z) with (vmul zs (rpow zs P t v) P z).
    change (rpow zs A (S t) v z) with (vmul zs (rpow zs A t v) A z).
    rewrite (vmul_ext zs _ (fun y => rpow zs A t v y
              + fsum (seq 0 t) (fun k => fsum zs (fun y0 => rpow zs A k v y0 * e y0)
                                         * rpow zs P (t - 1 - k) nu y)))
      by (intros y _; apply IH).
    rewrite vmul_plus, vmul_fsum; unfold P at 1; rewrite vmul_restart; fold P.
    rewrite seq_S_last, fsum_app, fsum_cons, fsum_nil.
    replace (S t - 1 - t)%nat with 0%nat by lia.
    rewrite (fsum_ext (seq 0 t)
               (fun k => fsum zs (fun y => rpow zs A k v y * e y) * rpow zs P (S t - 1 - k) nu z)
               (fun k => fsum zs (fun y => rpow zs A k v y * e y)
                         * vmul zs (rpow zs P (t - 1 - k) nu) P z)).
    + simpl rpow; rewrite Rplus_0_r, Rplus_assoc; f_equal; rewrite Rplus_comm; reflexivity.
    + intros k Hk; apply in_seq in Hk.
      replace (S t - 1 - k)%nat with (S (t - 1 - k)) by lia; reflexivity.
Qed.

Lemma mvec_ext {Z : Type} (zs : list Z) (M : Z -> Z -> R) (f1 f2 : Z -> R) (y : Z) :
  (forall z, In z zs -> f1 z = f2 z) -> mvec zs M f1 y = mvec zs M f2 y.
Proof. intros H; unfold mvec; apply fsum_ext; intros z Hz; rewrite H by exact Hz; reflexivity. Qed.

Lemma mvec_plus {Z : Type} (zs : list Z) (M : Z -> Z -> R) (a b : Z -> R) (y : Z) :
  mvec zs M (fun z => a z + b z) y = mvec zs M a y + mvec zs M b y.
Proof. unfold mvec; rewrite <- fsum_plus; apply fsum_ext; intros z _; ring. Qed.

Lemma mvec_fsum {Z K : Type} (zs : list Z) (ks : list K) (c : K -> R) (w : K -> Z -> R)
    (M : Z -> Z -> R) (y : Z) :
  mvec zs M (fun z => fsum ks (fun k => w k z * c k)) y
    = fsum ks (fun k => mvec zs M (w k) y * c k).
Proof.
  unfold mvec.
  rewrite (fsum_ext zs _ (fun z => fsum ks (fun k => M y z * w k z * c k)))
    by (intros z _; rewrite <- fsum_scal_l; apply fsum_ext; intros k _; ring).
  rewrite fsum_swap; apply fsum_ext; intros k _; rewrite <- fsum_scal_r; reflexivity.
Qed.

Theorem restart_recursion :
  forall (Z : Type) (zs : list Z) (A : Z -> Z -> R) (e : Z -> R) (d : nat -> R) (t : nat)
         (y : Z),
    brec zs A e d t y
      = cpow zs A t (fun _ => 1) y + fsum (seq 0 t) (fun k => cpow zs A k e y * d (t - 1 - k)%nat).
Proof.
  intros Z zs A e d t.
  induction t as [|t IH]; intros y.
  - simpl; ring.
  - change (brec zs A e d (S t) y) with (mvec zs A (brec zs A e d t) y + e y * d t).
    change (cpow zs A (S t) (fun _ => 1) y) with (mvec zs A (cpow zs A t (fun _ => 1)) y).
    rewrite (mvec_ext zs A _ (fun z => cpow zs A t (fun _ => 1) z
               + fsum (seq 0 t) (fun k => cpow zs A k e z * d (t - 1 - k)%nat)))
      by (intros z _; apply IH).
    rewrite mvec_plus, mvec_fsum, seq_S_first, fsum_cons, fsum_map_S.
    replace (S t - 1 - 0)%nat with t by lia.
    rewrite (fsum_ext (seq 0 t) (fun k => cpow zs A (S k) e y * d (S t - 1 - S k)%nat)
                                 (fun k => mvec zs A (cpow zs A k e) y * d (t - 1 - k)%nat))
      by (intros k _; replace (S t - 1 - S k)%nat with (t - 1 - k)%nat by lia; reflexivity).
    change (cpow zs A 0 e y) with (e y); rewrite Rplus_assoc; f_equal; rewrite Rplus_comm; reflexivity.
Qed.

Lemma vmul_mvec {Z : Type} (zs : list Z) (M : Z -> Z -> R) (v f : Z -> R) :
  fsum zs (fun z => vmul zs v M z * f z) = fsum zs (fun y => v y * mvec zs M f y).
Proof.
  unfold vmul, mvec.
  rewrite (fsum_ext zs _ (fun z => fsum zs (fun y => v y * M y z * f z)))
    by (intros z _; rewrite <- fsum_scal_r; reflexivity).
  rewrite fsum_swap; apply fsum_ext; intros y _.
  rewrite <- fsum_scal_l; apply fsum_ext; intros z _; ring.
Qed.

Lemma cpow_shift {Z : Type} (zs : list Z) (M : Z -> Z -> R) (t : nat) (f : Z -> R) (y : Z) :
  cpow zs M t (mvec zs M f) y = cpow zs M (S t) f y.
Proof.
  revert y; induction t as [|t IH]; intros y; [reflexivity|].
  change (mvec zs M (cpow zs M t (mvec zs M f)) y = mvec zs M (cpow zs M (S t) f) y).
  apply mvec_ext; intros z _; apply IH.
Qed.

Lemma rpow_cpow {Z : Type} (zs : list Z) (M : Z -> Z -> R) (t : nat) (v f : Z -> R) :
  fsum zs (fun z => rpow zs M t v z * f z) = fsum zs (fun y => v y * cpow zs M t f y).
Proof.
  revert f; induction t as [|t IH]; intros f; [reflexivity|].
  change (fsum zs (fun z => vmul zs (rpow zs M t v) M z * f z)
          = fsum zs (fun y => v y * cpow zs M (S t) f y)).
  rewrite vmul_mvec, IH; apply fsum_ext; intros y _; rewrite cpow_shift; reflexivity.
Qed.

Lemma rpow_nonneg {Z : Type} (zs : list Z) (M : Z -> Z -> R) (t : nat) (v : Z -> R) :
  (forall y z, In y zs -> In z zs -> 0 <= M y z) -> (forall y, In y zs -> 0 <= v y) ->
  forall z, In z zs -> 0 <= rpow zs M t v z.
Proof.
  intros HM Hv; induction t as [|t IH]; intros z Hz; [apply Hv; exact Hz|].
  simpl; unfold vmul; apply fsum_nonneg; intros y Hy.
  apply Rmult_le_pos; [apply IH; exact Hy | apply HM; assumption].
Qed.

Lemma restart_mass {Z : Type} (zs : list Z) (A : Z -> Z -> R) (e v : Z -> R) (t : nat) :
  (forall y, In y zs -> fsum zs (fun z => A y z) + e y = 1) ->
  fsum zs (rpow zs A t v) + fsum (seq 0 t) (fun k => fsum zs (fun y => rpow zs A k v y * e y))
    = fsum zs v.
Proof.
  intros Hrow; induction t as [|t IH]; [simpl; ring|].
  rewrite seq_S_last, fsum_app, fsum_cons, fsum_nil.
  assert (E : fsum zs (rpow zs A (S t) v)
              = fsum zs (rpow zs A t v) - fsum zs (fun y => rpow zs A t v y * e y)).
  { change (fsum zs (fun z => vmul zs (rpow zs A t v) A z)
            = fsum zs (rpow zs A t v) - fsum zs (fun y => rpow zs A t v y * e y)).
    unfold vmul; rewrite fsum_swap, <- fsum_minus; apply fsum_ext; intros y Hy.
    rewrite fsum_scal_l; specialize (Hrow y Hy); change (fsum zs (A y)) with (fsum zs (fun z => A y z)); replace (fsum zs (fun z => A y z)) with (1 - e y)
      by lra; ring. }
  rewrite E; lra.
Qed.

Theorem restart_bound_sound :
  forall (Z : Type) (zs : list Z) (A : Z -> Z -> R) (e nu mu v : Z -> R) (t : nat),
    (forall y z, In y zs -> In z zs -> 0 <= A y z) ->
    (forall y, In y zs -> 0 <= e y) ->
    (forall y, In y zs -> fsum zs (fun z => A y z) + e y = 1) ->
    (forall z, In z zs -> 0 <= mu z) -> fsum zs mu = 1 ->
    (forall y, In y zs -> 0 <= v y) -> fsum zs v = 1 ->
    fsum zs (fun z => Rabs (rpow zs (fun y w => A y w + e y * nu w) t v z - mu z)) / 2
      <= fsum zs (fun y => v y * brec zs A e
           (fun u => fsum zs (fun z => Rabs (rpow zs (fun y w => A y w + e y * nu w) u nu z
                                             - mu z)) / 2) t y).
Proof.
  intros Z zs A e nu mu v t HA He Hrow Hmu Hmu1 Hv Hv1.
  set (P := fun y w => A y w + e y * nu w).
  set (d := fun u => fsum zs (fun z => Rabs (rpow zs P u nu z - mu z)) / 2).
  set (p := fun k => fsum zs (fun y => rpow zs A k v y * e y)).
  rewrite (fsum_ext zs _ (fun z => Rabs (rpow zs A t v z
             + fsum (seq 0 t) (fun k => p k * rpow zs P (t - 1 - k) nu z) - mu z)))
    by (intros z _; unfold P, p; rewrite restart_path_identity; reflexivity).
  eapply Rle_trans.
  - apply (restart_decomposition Z nat zs (seq 0 t) (rpow zs A t v) mu p
             (fun k => rpow zs P (t - 1 - k) nu)).
    + intros z Hz; apply rpow_nonneg; assumption.
    + exact Hmu.
    + intros k _; unfold p; apply fsum_nonneg; intros y Hy; apply Rmult_le_pos;
        [apply rpow_nonneg; assumption | apply He; exact Hy].
    + exact Hmu1.
    + unfold p; rewrite restart_mass by exact Hrow; exact Hv1.
  - apply Req_le; symmetry.
    rewrite (fsum_ext zs _ (fun y => v y * cpow zs A t (fun _ => 1) y
               + fsum (seq 0 t) (fun k => v y * cpow zs A k e y * d (t - 1 - k)%nat)))
      by (intros y _; rewrite restart_recursion, Rmult_plus_distr_l, <- fsum_scal_l;
          f_equal; apply fsum_ext; intros k _; ring).
    rewrite fsum_plus, fsum_swap, <- rpow_cpow.
    f_equal.
    + apply fsum_ext; intros z _; ring.
    + apply fsum_ext; intros k _.
      rewrite fsum_scal_r, <- rpow_cpow; reflexivity.
Qed.
