"""The L1 side: what the Ethereum contract computes (SPEC.md, Part III).  So far the batch
fingerprint as EVM code, measured on an embedded EVM (tools/bench_l1_fingerprint.py)."""
