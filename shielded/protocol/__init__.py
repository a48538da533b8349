"""Protocol spec functions: keys, addresses, notes, commitments, nullifiers, encryption,
transactions (SPEC.md, Part II).  Names follow the spec."""
