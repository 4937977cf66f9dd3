"""Shares shown against a target: the number printed must agree with the verdict beside it."""

from __future__ import annotations


def against(share: float, target: float) -> str:
    """`share` as a whole percentage, unless that would round a miss up to the target (49.7 %
    of a 50 % target is shown as 49.7 %, not as a red 50 %): then with as many decimals as it
    takes to read below the target (up to four). Formatted with `share`'s own `format`, so the
    workbook's exact numbers pass through."""
    if not share < target - 1e-9:
        return f"{share:.0%}"
    for decimals in range(5):
        if round(100 * share, decimals) < round(100 * target, decimals):
            return f"{share:.{decimals}%}"
    return f"{share:.4%}"
