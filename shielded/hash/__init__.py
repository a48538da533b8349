"""Hashing: Poseidon2 (widths 16 and 24), sponges and compression, Keccak-256."""
