"""The insights' rows of the role matrix, one module per part of the app (see accounts/tests/matrix_case.py)."""
