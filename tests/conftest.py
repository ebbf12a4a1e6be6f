"""Shared test settings.

Hypothesis runs without a deadline (the machine is shared, so timings vary), without an
example database (nothing is written into the repository), and with a modest number of
examples so that the suite stays fast. Set HYPOTHESIS_PROFILE=thorough for a longer run.

PyTorch is an optional reference. Notebook cells tagged `needs-torch` compare with it;
their committed outputs show the comparison, which nbval checks when torch==2.13.0 is
installed. Without it (or with another version, whose printed digits may differ) those
cells are skipped with the reason shown in the test report, never compared against the
"PyTorch is not installed" line a learner would see.
"""

import importlib.metadata
import os

import pytest
from hypothesis import settings

settings.register_profile("xent", max_examples=40, deadline=None, database=None)
settings.register_profile("thorough", max_examples=1000, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "xent"))

TORCH_VERSION = "2.13.0"
TORCH_TAG = "needs-torch"


def torch_missing_reason() -> str | None:
    """Why the PyTorch cells cannot be compared here, or None when they can."""
    try:
        installed = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return f"needs torch=={TORCH_VERSION}: pip install torch=={TORCH_VERSION}"
    # A local build tag such as +cpu is the same release.
    if installed.split("+")[0] != TORCH_VERSION:
        return (
            f"needs torch=={TORCH_VERSION} (torch {installed} is installed): "
            f"pip install torch=={TORCH_VERSION}"
        )
    return None


def pytest_collection_modifyitems(config, items):
    reason = torch_missing_reason()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        cell = getattr(item, "cell", None)
        tags = cell.get("metadata", {}).get("tags", []) if cell is not None else []
        if TORCH_TAG in tags:
            item.add_marker(skip)
