"""The read replica for analytics (docs/architecture.md, "Scale"; issue 16 item 7), with Django's own mechanisms.

`DATABASE_REPLICA_URL` adds the database alias `replica` (settings.py). Nothing goes there by itself: the router
sends every read and every write to `default`, and refuses migrations on the replica (a streaming replica is
read-only and receives the primary's schema). Analytics selectors opt in by name, one query set or cursor at a time:

    db = analytics_db()
    Submission.objects.using(db).filter(...)
    with connections[db].cursor() as cursor: ...

so a page that edits something never reads it back from a replica that may lag behind, and a write can never reach
the replica: a model loaded from it is saved on `default` (`db_for_write`). Without `DATABASE_REPLICA_URL`,
`analytics_db()` is `default` and everything runs as before.

Plumbing: no domain word here (the import contracts keep core free of the apps).
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"


def analytics_db() -> str:
    """The alias analytics reads use: `replica` when DATABASE_REPLICA_URL configured one, else `default`."""
    return REPLICA if REPLICA in connections.settings else DEFAULT_DB_ALIAS


class PrimaryReplicaRouter:
    """Everything on `default`; the replica is read only when a selector asks for it with `.using(...)`."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        # None: Django's own rule, `default`, or the database of the instance a related read starts from (a row
        # that a selector read on the replica reads its relations there too, as part of the same analysis).
        return None

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Both aliases hold the same data: an object read on the replica may be related to one of default.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return db != REPLICA
