"""Data in and out: the demo story, the benchmark data set, backup and restore, imports of
actuals (the built-in checklist moved to evaluation; its old name here re-exports it). The top
of the house: may import any other service package."""
