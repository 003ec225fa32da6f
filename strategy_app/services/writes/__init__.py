"""Writes: every change a person or the API makes, validated, checked against the permission
policy and audited in one transaction. May import evaluation and plumbing; never reads or
dataio."""
