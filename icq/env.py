"""``icq.env``: IC-SMDPs as PettingZoo AEC environments (extra ``env``; see
:mod:`icq.reference.env` and ``docs/env.md``)."""

from icq.reference.env import ICSMDPEnv, PrimitiveWorld, env

__all__ = ["ICSMDPEnv", "PrimitiveWorld", "env"]
