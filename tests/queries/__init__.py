"""Tests of the scoped read services and their serialisers (ecohub.queries)."""
