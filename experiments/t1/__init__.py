"""T1: the AIS gap predicts the value gap (paper §5.1)."""
