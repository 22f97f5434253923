"""The audit log is read in its own staff page; the admin shows nothing of it (it has no edit path by design)."""
