"""Assertions on the derivation checker's verdicts, shared by the symbolic tests."""

from xentlib import symbolic as xs


def refuted(lhs, rhs, **kw):
    """The step is false: neither accepted nor proved. Returns the Proof."""
    proof = xs.check_equal(lhs, rhs, **kw)
    assert not proof.ok and not proof.proved, proof
    return proof


def proved(lhs, rhs, **kw):
    """The step is proved (a proof and passing tests). Returns the Proof."""
    proof = xs.check_equal(lhs, rhs, **kw)
    assert proof.ok and proof.proved, proof
    return proof
