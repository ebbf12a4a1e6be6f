"""xentlib: cross-entropy losses and their gradients, in NumPy.

The companion library of the *xent* book. Every loss comes with its gradient
(``f_grad``) and a fused ``f_value_and_grad``; the semantics follow
``torch.nn.functional`` so that code moves between the two without a lookup table.

Submodules not imported here (they pull in heavier dependencies):
``xentlib.symbolic`` (SymPy derivations), ``xentlib.interactive`` (slider figures),
``xentlib.nn`` (small models) and ``xentlib.data`` (seeded toy data sets).
"""

from xentlib.activations import (
    log_sigmoid,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)
from xentlib.binary import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_value_and_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    binary_cross_entropy_with_logits_value_and_grad,
)
from xentlib.categorical import (
    cross_entropy,
    cross_entropy_grad,
    cross_entropy_value_and_grad,
)
from xentlib.finite_differences import GradcheckReport, gradcheck, numerical_grad, relative_error

__version__ = "0.1.0"

__all__ = [
    "GradcheckReport",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_value_and_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "binary_cross_entropy_with_logits_value_and_grad",
    "cross_entropy",
    "cross_entropy_grad",
    "cross_entropy_value_and_grad",
    "gradcheck",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "numerical_grad",
    "relative_error",
    "sigmoid",
    "softmax",
    "softmax_jacobian",
    "softmax_vjp",
]
