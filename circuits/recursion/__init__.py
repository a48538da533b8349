"""The recursive verifier: the generic verifier run with circuit values (SPEC.md, Part III)."""
