"""Shared helpers of the experiments: atomic output, tables, statistics, policy evaluation.

Nothing here is imported by the library (``icq.reference``, ``icq.bounds``); the experiments
import the library.
"""
