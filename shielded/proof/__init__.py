"""The PLONKish IOP: circuit builder, gates, witness generation, check mode, prover, verifier."""
