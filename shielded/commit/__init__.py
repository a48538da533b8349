"""Vector commitments (Merkle trees over matrices) and FRI."""
