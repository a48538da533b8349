"""shielded: a private payments rollup for Ethereum.

Layers (imports only point down): field -> hash -> poly -> commit -> proof -> circuits ->
protocol -> state -> l1 -> operator -> wallet.  See SPEC.md.
"""

__version__ = "0.1.0"
