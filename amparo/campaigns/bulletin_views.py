"""Staff pages of the bulletin and the orientation library (issue 17, part 4)."""
