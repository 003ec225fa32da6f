"""Tests of the JSON API v1 (DESIGN §5)."""
