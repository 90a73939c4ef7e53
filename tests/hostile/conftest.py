"""Hypothesis profiles for the hostile suite: ``ci`` (default: derandomized, few examples, no
deadline, no shrinking; the walks report every problem at once) and ``deep``
(``HYPOTHESIS_PROFILE=deep``: many more examples, shrinking on)."""
import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, settings

sys.path.insert(0, str(Path(__file__).parent))

# The app and its database are function-scoped fixtures shared by every example of a test: each
# example runs against what the earlier ones left, which is what a long-lived server sees too.
_SHARED = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                     HealthCheck.data_too_large, HealthCheck.large_base_example])
settings.register_profile("ci", max_examples=3, derandomize=True, database=None, print_blob=False, verbosity=Verbosity.quiet,
                          phases=[Phase.explicit, Phase.generate], **_SHARED)
settings.register_profile("deep", max_examples=40, **_SHARED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
