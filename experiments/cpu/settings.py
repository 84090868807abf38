"""Settings of the CPU-programming experiment (data only).

``bits``: word width B (targets are integers in [0, 2^B)); ``digit_bits``: bits moved per
cycle of the datapath (1: bit-serial, ``2 + 4B`` handoffs per program); ``train_fraction``: the
lowest fraction of the integer range used for training (every other target is unseen);
``observations``: ``"register_block"`` (the AIS: pointer exhausted, valid bits and comparator
flags, no values) and ``"raw"`` (the whole register file: a table per value, for contrast).
"""

COMMON = {
    "bits": 8,
    "digit_bits": 1,
    "train_fraction": 0.2,
    "gamma": 0.99,
    "alpha": 0.1,            # constant step size of both Q-functions
    "epsilon": [0.2, 0.0],   # ε-greedy, decayed linearly over ``phases`` training phases
    "phases": 10,
    "optimism": 2.0,         # initial Q (above any return: drives systematic exploration)
    "max_handoffs_per_digit": 6,
    "observations": ["register_block", "raw"],
}

QUICK = {**COMMON, "seeds": 3, "episodes": 20_000}
FULL = {**COMMON, "seeds": 10, "episodes": 30_000}
