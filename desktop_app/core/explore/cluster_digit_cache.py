"""`ClusterDigitCache`: which digit each cluster of the loaded model mostly draws, as
core/explore/cluster_digits.py found it with the loaded classifier.

The answer belongs to one (generator, classifier) pair. The cache numbers the pairs
(`serial`, bumped by `forget` whenever either changes), so an answer computed off the GUI
thread for an older pair is refused. The `Studio` owns one and announces what it adopts.
"""

from __future__ import annotations

from .cluster_digits import ClusterDigit


class ClusterDigitCache:
    """`digits`: one `ClusterDigit` per cluster (None: not known); `serial`: the pair."""

    def __init__(self) -> None:
        self.serial = 0
        self.digits: tuple[ClusterDigit, ...] | None = None

    def forget(self) -> None:
        """Another generator or classifier: what was known is stale."""
        self.serial += 1
        self.digits = None

    def offer(self, serial: int, digits, num_classes: int) -> bool:
        """Adopt `digits`, computed for pair `serial`, when that is the pair now and there
        is one per class; True when adopted."""
        digits = tuple(digits)
        if serial != self.serial or len(digits) != num_classes:
            return False
        self.digits = digits
        return True
