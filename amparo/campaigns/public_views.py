"""Public pages of the campaigns: short links and the feedback form about a service (issue 17, parts 2 and 3)."""
