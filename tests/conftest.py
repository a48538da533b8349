"""Shared test configuration.

Hypothesis profiles, both without per-example deadlines (the first call of a numba kernel
compiles) and with 25 examples per test unless a test says otherwise:

* "dev" (the default): randomised, so every local run explores new examples.  A failure still
  reproduces: Hypothesis saves it in the local example database (.hypothesis/) and replays it
  first on the next run, and prints a ``@reproduce_failure`` blob to pin it anywhere.
* "ci" (selected when CI=true): derandomised, so CI runs the same examples every time and a CI
  failure reproduces locally with ``CI=true``.

The toolkit's strategies (shielded.testing) draw every random choice from Hypothesis, so a
derandomised run is fully deterministic.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")
