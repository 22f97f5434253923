"""Community-led monitoring of services (issue 17, part 3): anonymous answers about how a service treated her."""

from __future__ import annotations

__all__: list[str] = []
