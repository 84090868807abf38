"""Six CPU agents that transform an initial memory state into a target state.

Memory holds a read-only target word ``t`` of B bits, read as ``n = B/w`` digits of ``w`` bits
(``t[k]``, k = n−1 is the most significant), and an output cell ``OUT`` (initially 0);
registers ``ACC``, ``A``, ``B``, a digit pointer ``k`` (from n−1 down to −1 = exhausted), and
the register file's valid bits: ``A``, ``B``, ``ACC`` written since the pointer last moved.
The target memory state is ``OUT = t``. Agents and their *learned* local actions:

- starter: ``ACC ← 0`` or ``ACC ← 1``;
- loader_a: ``A ← ACC``, ``A ← 0`` or ``A ← 1``;
- loader_b: ``B ← t[k]`` (the target digit under the pointer), ``B ← 0`` or ``B ← 1``;
- alu: ``ACC ← 2^w A + B``, ``ACC ← A + B``, ``ACC ← A`` or ``ACC ← B`` (mod 2^B);
- selector: ``k ← k − 1`` (advance) or hold;
- writer: ``OUT ← ACC``, ``OUT ← A`` or ``OUT ← B``.

After its local action an agent hands off along the datapath's wiring (:data:`WIRING`, two
choices each; the writer, the last stage, ends the program). Reward: 1 when the program ends
with ``OUT = t``, plus the potential-based shaping ``γΦ(s') − Φ(s)`` on every step (Ng, Harada
& Russell 1999: it leaves the optimal programs unchanged), ``Φ(s)`` = the fraction of target
digits ``ACC`` holds exactly: ``(n − k)/n`` if ``ACC = t >> wk``, else ``(n − 1 − k)/n`` if
``ACC = t >> w(k + 1)``, else 0. A program that has not ended after ``max_handoffs`` handoffs is
stopped with no terminal reward.

Observations (what an agent's decisions may depend on):

- ``register_block`` (the AIS): ``(k < 0, valid A, valid B, valid ACC, ACC ok, A ok, B ok,
  OUT ok)``: whether the pointer is exhausted, the valid bits, and the comparator flags of each
  register against its part of the target (ACC: a prefix of ``t``; A: the digits above the
  pointer; B: the digit under it; OUT: ``t``). Booleans only: the block does not depend on the
  value of ``t``, so a program learned on small targets applies to every target. Without the
  comparator flags a local action's effect would be invisible to the value passed back at the
  next handoff, and value passing could not credit it;
- ``raw``: ``(t, k, ACC, A, B, OUT)``: the whole register file, a table entry per value.

One correct program: starter ``ACC ← 0`` → loader_a ``A ← ACC`` → loader_b ``B ← t[k]`` → alu
``ACC ← 2^w A + B`` → selector ``k ← k − 1`` → (loader_a while ``k ≥ 0``) → writer
``OUT ← ACC`` → END: ``2 + 4n`` handoffs.

>>> m = Machine(bits=4, digit_bits=1)
>>> s = m.reset(11)
>>> for agent, a in [("starter", 0)] + [("loader_a", 0), ("loader_b", 0), ("alu", 0),
...                                      ("selector", 0)] * 4 + [("writer", 0)]:
...     s = m.local(s, agent, a)
>>> s[OUT] == 11, m.potential(s), m.observe(s, "register_block")
(True, 1.0, (True, False, False, False, True, False, False, True))
"""

from __future__ import annotations

__all__ = ["AGENTS", "LOCAL_ACTIONS", "WIRING", "END", "Machine", "observe", "TARGET", "K",
           "ACC", "A", "B", "OUT", "VA", "VB", "VACC"]

AGENTS = ("starter", "loader_a", "loader_b", "alu", "selector", "writer")
END = "END"
LOCAL_ACTIONS = {
    "starter": ("ACC<-0", "ACC<-1"),
    "loader_a": ("A<-ACC", "A<-0", "A<-1"),
    "loader_b": ("B<-t[k]", "B<-0", "B<-1"),
    "alu": ("ACC<-(A<<w)+B", "ACC<-A+B", "ACC<-A", "ACC<-B"),
    "selector": ("k<-k-1", "hold"),
    "writer": ("OUT<-ACC", "OUT<-A", "OUT<-B"),
}
#: admissible successors of each agent (the datapath's wiring)
WIRING = {
    "starter": ("loader_a", "loader_b"),
    "loader_a": ("loader_b", "alu"),
    "loader_b": ("loader_a", "alu"),
    "alu": ("selector", "loader_a"),
    "selector": ("loader_a", "writer"),
    "writer": (END,),
}
#: fields of the machine state tuple
TARGET, K, ACC, A, B, OUT, VA, VB, VACC = range(9)


class Machine:
    """The deterministic datapath of the six agents on ``bits``-bit words, ``digit_bits`` per
    digit.

    A state is the tuple ``(target, k, acc, a, b, out, valid_a, valid_b, valid_acc)``.
    """

    def __init__(self, bits: int, digit_bits: int = 1):
        if bits < 1 or digit_bits < 1 or bits % digit_bits:
            raise ValueError(f"bits: {bits} must be a positive multiple of digit_bits = "
                             f"{digit_bits}")
        self.bits = bits
        self.w = digit_bits
        self.n = bits // digit_bits
        self.mask = (1 << bits) - 1
        self.digit = (1 << digit_bits) - 1

    def reset(self, target: int) -> tuple:
        if not 0 <= target <= self.mask:
            raise ValueError(f"target: {target} outside [0, {self.mask}]")
        return (target, self.n - 1, 0, 0, 0, 0, False, False, False)

    def successors(self, agent: str) -> tuple[str, ...]:
        return WIRING[agent]

    def observe(self, s: tuple, kind: str) -> tuple:
        """:func:`observe` with this machine's digit width."""
        return observe(s, kind, self.w)

    def potential(self, s: tuple) -> float:
        """``Φ(s)``: the fraction of target digits correctly accumulated in ``ACC`` (the digits
        above the pointer, or those and the digit under it once the ALU has added it)."""
        t, k, acc, w = s[TARGET], s[K], s[ACC], self.w
        if k >= 0 and acc == t >> (w * k):
            return (self.n - k) / self.n
        return (self.n - 1 - k) / self.n if acc == t >> (w * (k + 1)) else 0.0

    def local(self, s: tuple, agent: str, action: int) -> tuple:
        t, k, acc, a, b, out, va, vb, vacc = s
        name = LOCAL_ACTIONS[agent][action]
        if agent == "loader_a":
            va = True
        elif agent == "loader_b":
            vb = True
        elif agent in ("alu", "starter"):
            vacc = True
        if name == "k<-k-1":
            k = max(k - 1, -1)
            va = vb = vacc = False
        elif name != "hold":  # a register transfer "DEST<-SOURCE"
            dest, source = name.split("<-")
            value = {"0": 0, "1": 1, "ACC": acc, "A": a, "B": b,
                     "t[k]": (t >> (self.w * k)) & self.digit if k >= 0 else 0,
                     "(A<<w)+B": ((a << self.w) + b) & self.mask,
                     "A+B": (a + b) & self.mask}[source]
            regs = dict(ACC=acc, A=a, B=b, OUT=out) | {dest: value}
            acc, a, b, out = regs["ACC"], regs["A"], regs["B"], regs["OUT"]
        return (t, k, acc, a, b, out, va, vb, vacc)


def observe(s: tuple, kind: str, digit_bits: int = 1) -> tuple:
    """An agent's observation of the machine state ``s`` with digits of ``digit_bits`` bits
    (see the module docstring; :meth:`Machine.observe` fills in the width)."""
    t, k, acc, a, b, out, va, vb, vacc = s
    if kind == "register_block":
        w = digit_bits
        above = t >> (w * (k + 1))
        acc_ok = acc == above or (k >= 0 and acc == t >> (w * k))
        digit = (t >> (w * k)) & ((1 << w) - 1) if k >= 0 else 0
        return (k < 0, va, vb, vacc, acc_ok, a == above, b == digit, out == t)
    if kind == "raw":
        return (t, k, acc, a, b, out)
    raise ValueError(f"observations: {kind!r} is not 'register_block' or 'raw'")
