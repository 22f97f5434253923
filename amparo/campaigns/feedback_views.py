"""Staff pages of the community-led monitoring (issue 17, part 3)."""
