"""Settings of the routing experiment (data only).

Each router observes only (destination, detain flag) of the packet it holds and picks a
neighbouring router as successor. Families are networkx generators with their parameters.
"""

COMMON = {
    "gamma": 0.95,          # primitive discount per time step
    "step_cost": 0.05,      # cost per primitive step while a packet is in flight
    "delivery_reward": 1.0,  # reward when the packet reaches its destination
    "p_detain": 0.2,        # probability that a packet is detained at the router it reaches
    "detain_stop": 0.5,     # per-step release probability of a detained packet
    "T_max": 5,             # forced end of an invocation (Assumption 1(ii))
    "omega": 0.7,           # IC-Q harmonic step exponent
}



def _settings(n: int, p_er: float, n_chain: int, seeds: int, handoffs: int) -> dict:
    """The four graph families at ``n`` routers (Erdős–Rényi with edge probability ``p_er``)."""
    return {**COMMON, "seeds": seeds, "handoffs": handoffs,
            "families": {"erdos_renyi": {"n": n, "p": p_er},
                         "barabasi_albert": {"n": n, "m": 2},
                         "watts_strogatz": {"n": n, "k": 4, "p": 0.3},
                         "chain": {"n": n_chain}}}


QUICK = _settings(10, 0.35, 8, seeds=3, handoffs=3_000_000)
FULL = _settings(20, 0.2, 15, seeds=10, handoffs=30_000_000)
