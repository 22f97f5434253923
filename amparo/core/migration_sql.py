"""Raw SQL in migrations that only one database needs (FTS5 on SQLite, triggers and indexes on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


def run_for_vendor(statements: Mapping[str, Sequence[str]]) -> Callable[[Any, Any], None]:
    """A RunPython function executing the statements listed for the connection's vendor, unparameterised
    (so a literal % in SQL, e.g. in a PL/pgSQL RAISE, is not taken for a placeholder)."""

    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement, None)

    return run
