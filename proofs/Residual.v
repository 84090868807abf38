(** * The Bellman-residual certificate and the Minkowski combination
      (docs/theory.md §6 and §8)

    - [residual_certificate]: for any table q and the fixed point qs of a γ̂-contraction
      Bellman operator H (nonnegative kernel, row mass ≤ γ̂ < 1),
      ‖q − qs‖∞ ≤ ‖H q − q‖∞ / (1 − γ̂).
    - [residual_certificate_pointwise]: |q − qs| ≤ e on every pair for any e ≥ 0 with
      e ≥ |H q − q| + K max e on every pair (a post-fixed point; the least fixed point is one).
    - [minkowski_combination]: if 0 ≤ X ≤ a + b + C on every outcome with constants a, b ≥ 0
      and E[C²] ≤ r, then E[X²] ≤ (a + b + √r)² (Jensen: E[C]² ≤ E[C²]).
    - [minkowski_le_three_terms]: (a + b + √r)² ≤ 3(a² + b² + r). *)

From Coq Require Import Reals Lra Psatz List.
From ICQ Require Import Finite Contraction Decomposition.
Import ListNotations.
Local Open Scope R_scope.

Theorem residual_certificate :
  forall (S B : Type) (M : smdp S B) (g : R) (q qs : S -> B -> R),
    kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 -> bellman_fixed_point M qs ->
    supnorm M (fun x j => q x j - qs x j)
      <= supnorm M (fun x j => bellman M q x j - q x j) / (1 - g).
Proof.
  intros S B M g q qs HK Hg Hg1 Hfix.
  set (N := supnorm M (fun x j => q x j - qs x j)).
  set (r := supnorm M (fun x j => bellman M q x j - q x j)).
  assert (Hr : 0 <= r) by (apply pmax_nonneg; intros; apply Rabs_pos).
  assert (HN0 : 0 <= N) by (apply pmax_nonneg; intros; apply Rabs_pos).
  assert (HN : N <= r + g * N).
  { unfold N at 1, supnorm at 1; apply pmax_lub_nonneg.
    - apply Rplus_le_le_0_compat; [exact Hr | apply Rmult_le_pos; lra].
    - intros x j Hx Hj.
      rewrite (Hfix x j Hx Hj).
      replace (q x j - bellman M qs x j)
        with ((q x j - bellman M q x j) + (bellman M q x j - bellman M qs x j)) by ring.
      eapply Rle_trans; [apply Rabs_triang|].
      apply Rplus_le_compat.
      + rewrite Rabs_minus_sym.
        apply (pmax_ub (states M) (adm M) (fun x j => Rabs (bellman M q x j - q x j)) x j Hx Hj).
      + apply bellman_contraction_pointwise; assumption. }
  apply Rmult_le_reg_r with (1 - g); [lra|].
  unfold Rdiv; rewrite Rmult_assoc, Rinv_l by lra; nra.
Qed.

Theorem residual_certificate_pointwise :
  forall (S B : Type) (M : smdp S B) (g : R) (q qs e : S -> B -> R),
    kernel_nonneg M -> row_mass_le M g -> 0 <= g < 1 -> bellman_fixed_point M qs ->
    (forall x j, In x (states M) -> In j (adm M x) ->
       Rabs (bellman M q x j - q x j) + fsum (states M) (fun x' => kern M x j x' * vmax M e x')
         <= e x j) ->
    forall x j, In x (states M) -> In j (adm M x) -> Rabs (q x j - qs x j) <= e x j.
Proof.
  intros S B M g q qs e HK Hg Hg1 Hfix He.
  set (u := fun x j => Rabs (q x j - qs x j)).
  set (N := pmax (states M) (adm M) (fun x j => Rmax 0 (u x j - e x j))).
  assert (HN0 : 0 <= N) by (apply pmax_nonneg; intros; apply Rmax_l).
  assert (Hpt : forall x j, In x (states M) -> In j (adm M x) -> u x j - e x j <= g * N).
  { intros x j Hx Hj.
    pose proof (He x j Hx Hj) as Hex.
    assert (Hu : u x j <= Rabs (bellman M q x j - q x j)
                         + fsum (states M) (fun x' => kern M x j x' * vmax M u x')).
    { unfold u; rewrite (Hfix x j Hx Hj).
      replace (q x j - bellman M qs x j)
        with (- (bellman M q x j - q x j) + (bellman M q x j - bellman M qs x j)) by ring.
      eapply Rle_trans; [apply Rabs_triang|]; rewrite Rabs_Ropp.
      apply Rplus_le_compat_l.
      unfold bellman.
      assert (E : fsum (states M) (fun x' => kern M x j x' * (vmax M q x' - vmax M qs x'))
                 = fsum (states M) (fun x' => kern M x j x' * vmax M q x')
                   - fsum (states M) (fun x' => kern M x j x' * vmax M qs x'))
        by (rewrite <- fsum_minus; apply fsum_ext; intros; ring).
      replace (rew M x j + fsum (states M) (fun x' => kern M x j x' * vmax M q x') -
               (rew M x j + fsum (states M) (fun x' => kern M x j x' * vmax M qs x')))
        with (fsum (states M) (fun x' => kern M x j x' * (vmax M q x' - vmax M qs x')))
        by (rewrite E; ring).
      eapply Rle_trans; [apply fsum_abs|]; apply fsum_le; intros x' Hx'.
      rewrite Rabs_mult, (Rabs_right (kern M x j x')) by (apply Rle_ge, HK; assumption).
      apply Rmult_le_compat_l; [apply HK; assumption|].
      unfold vmax; apply fmax_abs_diff. }
    assert (Hk : fsum (states M) (fun x' => kern M x j x' * vmax M u x')
                 - fsum (states M) (fun x' => kern M x j x' * vmax M e x') <= g * N).
    { rewrite <- fsum_minus.
      apply Rle_trans with (fsum (states M) (fun x' => kern M x j x' * N)).
      - apply fsum_le; intros x' Hx'.
        replace (kern M x j x' * vmax M u x' - kern M x j x' * vmax M e x')
          with (kern M x j x' * (vmax M u x' - vmax M e x')) by ring.
        apply Rmult_le_compat_l; [apply HK; assumption|].
        unfold vmax; eapply Rle_trans; [apply fmax_sub_le|].
        apply (fmax_ub (states M) (fun x => fmax (adm M x) (fun j => Rmax 0 (u x j - e x j)))
                 x' Hx').
      - rewrite fsum_scal_r; apply Rmult_le_compat_r; [exact HN0 | apply Hg; assumption]. }
    lra. }
  assert (HNle : N <= g * N).
  { unfold N at 1; apply pmax_lub_nonneg; [nra|].
    intros x j Hx Hj; apply Rmax_lub; [nra | apply Hpt; assumption]. }
  assert (HN : N = 0) by nra.
  intros x j Hx Hj.
  pose proof (pmax_ub (states M) (adm M) (fun x j => Rmax 0 (u x j - e x j)) x j Hx Hj).
  pose proof (Rmax_r 0 (u x j - e x j)).
  fold N in H; unfold u in *; lra.
Qed.

(** Jensen for a finite probability weighting: (E c)² ≤ E c². *)
Lemma mean_sq_le {W : Type} (ws : list W) (p c : W -> R) :
  (forall w, In w ws -> 0 <= p w) -> fsum ws p = 1 ->
  fsum ws (fun w => p w * c w) ^ 2 <= fsum ws (fun w => p w * c w ^ 2).
Proof.
  intros Hp Hp1.
  set (m := fsum ws (fun w => p w * c w)).
  assert (H0 : 0 <= fsum ws (fun w => p w * (c w - m) ^ 2)).
  { apply fsum_nonneg; intros w Hw; pose proof (Hp w Hw); apply Rmult_le_pos;
      [assumption | apply pow2_ge_0]. }
  assert (E : fsum ws (fun w => p w * (c w - m) ^ 2)
              = fsum ws (fun w => p w * c w ^ 2) - 2 * m * fsum ws (fun w => p w * c w)
                + m ^ 2 * fsum ws p).
  { rewrite <- fsum_scal_l, <- (fsum_scal_l ws (m ^ 2)), <- fsum_minus, <- fsum_plus.
    apply fsum_ext; intros; ring. }
  rewrite Hp1 in E; fold m in E; nra.
Qed.

Theorem minkowski_combination :
  forall (W : Type) (ws : list W) (p X C : W -> R) (a b r : R),
    (forall w, In w ws -> 0 <= p w) -> fsum ws p = 1 ->
    0 <= a -> 0 <= b ->
    (forall w, In w ws -> 0 <= C w /\ 0 <= X w <= a + b + C w) ->
    fsum ws (fun w => p w * C w ^ 2) <= r ->
    fsum ws (fun w => p w * X w ^ 2) <= (a + b + sqrt r) ^ 2.
Proof.
  intros W ws p X C a b r Hp Hp1 Ha Hb HX Hr.
  set (s := a + b).
  set (m1 := fsum ws (fun w => p w * C w)).
  set (m2 := fsum ws (fun w => p w * C w ^ 2)).
  assert (Hm1 : 0 <= m1).
  { apply fsum_nonneg; intros w Hw; destruct (HX w Hw); pose proof (Hp w Hw); nra. }
  assert (Hm2 : 0 <= m2).
  { apply fsum_nonneg; intros w Hw; pose proof (Hp w Hw); pose proof (pow2_ge_0 (C w)); nra. }
  assert (Hj : m1 ^ 2 <= m2) by (apply mean_sq_le; assumption).
  assert (Hm2r : m2 <= r) by exact Hr.
  assert (Hr0 : 0 <= r) by lra.
  assert (Hsq : m1 <= sqrt r).
  { rewrite <- (sqrt_pow2 m1) by exact Hm1; apply sqrt_le_1_alt; lra. }
  assert (Hup : fsum ws (fun w => p w * X w ^ 2) <= s ^ 2 * fsum ws p + 2 * s * m1 + m2).
  { unfold m1, m2; rewrite <- fsum_scal_l, <- (fsum_scal_l ws (2 * s)), <- !fsum_plus.
    apply fsum_le; intros w Hw.
    destruct (HX w Hw) as [HC [HX0 HX1]]; pose proof (Hp w Hw).
    assert (X w ^ 2 <= (s + C w) ^ 2) by (apply pow_incr; unfold s; lra).
    nra. }
  rewrite Hp1 in Hup.
  pose proof (sqrt_sqrt r Hr0).
  pose proof (sqrt_pos r).
  assert (Hs : 0 <= s) by (unfold s; lra).
  nra.
Qed.

Theorem minkowski_le_three_terms :
  forall a b r : R, 0 <= r -> (a + b + sqrt r) ^ 2 <= 3 * (a ^ 2 + b ^ 2 + r).
Proof.
  intros a b r Hr.
  pose proof (sq_sum3_le a b (sqrt r)).
  rewrite <- (sqrt_sqrt r Hr) at 2.
  replace (sqrt r * sqrt r) with (sqrt r ^ 2) by ring; exact H.
Qed.
