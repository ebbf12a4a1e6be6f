"""Shared test settings.

Hypothesis runs without a deadline (the machine is shared, so timings vary), without an
example database (nothing is written into the repository), and with a modest number of
examples so that the suite stays fast. Set HYPOTHESIS_PROFILE=thorough for a longer run.
"""

import os

from hypothesis import settings

settings.register_profile("xent", max_examples=40, deadline=None, database=None)
settings.register_profile("thorough", max_examples=1000, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "xent"))
