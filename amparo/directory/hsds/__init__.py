"""Open Referral HSDS 3.0 interoperability for the directory: schemas, the one mapping, the API and import/export.

See docs/hsds.md.
"""
