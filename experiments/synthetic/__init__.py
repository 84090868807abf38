"""The synthetic primitive-level IC-SMDP family shared by T1 and T2 (paper §5.1)."""
