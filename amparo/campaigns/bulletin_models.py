"""Support between organisations (issue 17, part 4): the bulletin and the orientation library."""

from __future__ import annotations

__all__: list[str] = []
