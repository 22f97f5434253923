"""The surveys' rows of the role matrix (amparo/accounts/tests/test_role_matrix.py), one module per part of the
app so that each part adds its pages without touching the others: each module defines EXPECTED and POSTS (URL name ->
Case, as in the matrix) and `world(org, users) -> dict` with the objects its URLs take. The matrix merges them all
(`matrix_case.rule_modules`)."""
