"""Multi-agent mathematical reasoning with four agents (paper §5.2).

The agents here are *simulated*: stochastic stand-ins calibrated so that the four predefined
workflows reach the accuracies of the paper's Table 1. No language model is called. A user can
run the same experiment with real models by implementing :class:`agents.Agent`.
"""
