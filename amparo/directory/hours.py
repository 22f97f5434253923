"""Opening hours as slot arithmetic: the week as 672 quarter-hour slots, stored as one integer per half-day.

Pure functions with no database access, shared by the writes (services.week_refresh, the demo) that store a
service-at-location's week bits and the reads (selectors' "open now" filter) that test one bit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
WEEK_SLOTS = 7 * SLOTS_PER_DAY


def week_slots(hours: Iterable[tuple[int, time, time]], *, open_24h: bool = False) -> str:
    """The week as 672 characters, one per 15 minutes from Monday 00:00: "1" where a period covers the whole slot.

    A period whose closing time is earlier than its opening time runs past midnight into the next day (and
    from Sunday into Monday). Slots are whole quarters of an hour, so "open now" errs on the closed side by
    less than 15 minutes at each end of a period that does not start or end on a quarter.
    """
    if open_24h:
        return "1" * WEEK_SLOTS
    week = bytearray(b"0" * WEEK_SLOTS)
    for weekday, opens, closes in hours:
        start = (weekday - 1) * SLOTS_PER_DAY + -(-(opens.hour * 60 + opens.minute) // SLOT_MINUTES)
        end_minutes = closes.hour * 60 + closes.minute
        end = (weekday - 1) * SLOTS_PER_DAY + end_minutes // SLOT_MINUTES
        if closes <= opens:
            end += SLOTS_PER_DAY
        for slot in range(start, end):
            week[slot % WEEK_SLOTS] = ord("1")
    return week.decode()


def slot_at(local_weekday: int, local_time: time) -> int:
    """Index (0-based) of the slot holding a local weekday (1 = Monday) and time."""
    return (local_weekday - 1) * SLOTS_PER_DAY + (local_time.hour * 60 + local_time.minute) // SLOT_MINUTES


# The week's slots are stored as one integer per half-day (ServiceAtLocation.week_mon_am ... week_sun_pm).
HALF_DAY_SLOTS = SLOTS_PER_DAY // 2
WEEK_COLUMNS = tuple(
    f"week_{day}_{half}" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") for half in ("am", "pm")
)


def week_masks(week: str) -> tuple[int, ...]:
    """The slots of week_slots() as one integer per half-day: bit i of integer h is slot h * 48 + i."""
    return tuple(int(week[start : start + HALF_DAY_SLOTS][::-1], 2) for start in range(0, WEEK_SLOTS, HALF_DAY_SLOTS))


def week_bit(slot: int) -> tuple[str, int]:
    """The column and bit that hold a slot (0-based, from Monday 00:00)."""
    return WEEK_COLUMNS[slot // HALF_DAY_SLOTS], 1 << (slot % HALF_DAY_SLOTS)
