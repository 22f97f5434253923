"""The insights' rows of the role matrix (amparo/accounts/tests/test_role_matrix.py), one module per part of the app
(see amparo/surveys/tests/matrix_rules/__init__.py)."""
