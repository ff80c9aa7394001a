"""Hypothesis settings shared by the desktop-app tests.

No deadline: model loading runs native code whose timing varies on a busy 2-core machine.
No `explain` phase: it imports libcst, which emits a DeprecationWarning that
`filterwarnings = error` turns into an internal error hiding the real failure.
"""

from hypothesis import HealthCheck, Phase, settings


def quick(max_examples: int = 50) -> settings:
    return settings(max_examples=max_examples, deadline=None,
                    phases=[p for p in Phase if p is not Phase.explain],
                    suppress_health_check=[HealthCheck.too_slow])
