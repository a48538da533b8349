"""Reference data shipped with the package.

`koalabear_poseidon2.json` is an exact copy of ``../shared/vectors/koalabear_poseidon2.json``
(public field and Poseidon2 parameters); tests/test_params.py checks that the two are identical
whenever the shared directory is present.  The numbers are loaded, never retyped.
"""

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def load_parameters() -> dict:
    """Return the parsed KoalaBear / Poseidon2 parameter file."""
    text = resources.files(__name__).joinpath("koalabear_poseidon2.json").read_text("utf-8")
    return json.loads(text)
