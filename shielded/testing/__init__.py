"""A toolkit for property-testing circuits (README, "Testing your own circuits").

    from shielded.testing import witness_cells, tampered_trace, check_accepts, check_rejects

* ``witness_cells``: the trace cells that carry witness data (cells bound to vars and the local
  cells gates fill in); changing any one of them must violate some constraint when its value
  matters to the circuit.
* ``tampered_trace`` / ``tampered_public_inputs``: derive a violating witness one cell, or one
  public input, at a time.
* ``check_accepts`` / ``check_rejects``: assertions over check mode with readable failures.
* ``field_elements``, ``ext_elements``: hypothesis strategies.
"""

from shielded.testing.circuits import (check_accepts, check_rejects, ext_elements, field_elements,
                                       tampered_public_inputs, tampered_trace, witness_cells)

__all__ = ["check_accepts", "check_rejects", "ext_elements", "field_elements", "tampered_public_inputs",
           "tampered_trace", "witness_cells"]
