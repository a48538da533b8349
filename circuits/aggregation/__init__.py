"""Aggregation circuits: leaf and merge nodes of one shape, the L1-facing final layer
(SPEC.md, Part III)."""
