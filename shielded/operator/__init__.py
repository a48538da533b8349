"""The operator node: batching, aggregation, submission (SPEC.md, Part III)."""
