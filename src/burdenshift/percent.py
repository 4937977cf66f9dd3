"""Shares shown against a target: the number printed must agree with the verdict beside it."""

from __future__ import annotations


def against(share: float, target: float) -> str:
    """`share` as a whole percentage, unless that would round a miss up to the target (49.6 %
    of a 50 % target is shown as 49.6 %, not as a red 50 %): then with one decimal, rounded
    down."""
    shown = f"{share:.0%}"
    if share < target - 1e-9 and round(100 * share) >= round(100 * target):
        shown = f"{int(1000 * share) / 10:.1f}%"
    return shown
