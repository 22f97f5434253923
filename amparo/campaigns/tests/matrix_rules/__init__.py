"""The campaigns' rows of the role matrix (amparo/accounts/tests/test_role_matrix.py; see matrix_case.rule_modules)."""
