"""State: the note tree (and, with aggregation, the nullifier tree), root history, storage."""
