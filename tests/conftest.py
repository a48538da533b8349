"""Shared test configuration.

Hypothesis profiles: "dev" (default) and "ci" (selected when CI=true): both derandomised so that
a failure reproduces, without per-example deadlines (the first call of a numba kernel compiles).
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")
