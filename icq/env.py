"""``icq.env``: IC-SMDPs as PettingZoo AEC environments (extra ``env``; see
:mod:`icq.reference.learners.env` and ``docs/env.md``)."""

from icq.reference.learners.env import ICSMDPEnv, PrimitiveWorld, env

__all__ = ["ICSMDPEnv", "PrimitiveWorld", "env"]
