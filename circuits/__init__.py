"""Gadgets and circuits built on shielded.proof: join-split, aggregation, state update."""
