"""The project's exception hierarchy (STYLE.md rule 11).

Every error raised on bad input derives from ShieldedError, names the field at fault and what
was expected, so that callers can catch one type and users get a message they can act on.
"""


class ShieldedError(Exception):
    """Base class of every error the project raises on purpose."""


class ParameterError(ShieldedError):
    """A parameter set, preset or configuration is invalid or inconsistent."""


class EncodingError(ShieldedError):
    """Bytes or text could not be decoded: truncated, malformed, wrong version or out of range."""


class CircuitError(ShieldedError):
    """A circuit was described incorrectly (builder misuse, unknown wire, layout overflow)."""


class WitnessError(CircuitError):
    """Witness generation failed: a value could not be computed or a hint was inconsistent."""


class ProvingError(ShieldedError):
    """The prover refused: the witness does not satisfy the circuit, or proving is impossible."""


class VerificationError(ShieldedError):
    """A proof was rejected.  The message says which check failed."""
