"""Constants shared by the aggregation circuits and their plain twins (SPEC.md, Part III)."""

MAX_ANCHORS = 4
WORD = 8
HEADER_WORDS = 5
RECORD_WORDS = 7
HEADER_ELEMENTS = HEADER_WORDS * WORD
RECORD_ELEMENTS = RECORD_WORDS * WORD
ANCHORS_LEN = 1 + MAX_ANCHORS * 8        # count, then four digests
PACK = 4                                 # record elements per fingerprint coefficient (16 bytes)
RECORD_COEFFS = RECORD_ELEMENTS // PACK
# Which record elements are known to be small (their bit bound; the client circuit range-checks
# them, or the leaf does), so that the fingerprint gadget can place them without splitting:
# the anchor index (2 bits), fee and amount limbs (16), the padding zeros, owner limbs (20).
# Digests and the asset are arbitrary field elements (None).
RECORD_ELEMENT_BITS = ([None] * 32 + [2, None] + [16] * 4 + [16, 16] + [16] * 8 + [20] * 8)

KEY_LIMBS = 4
KEY_LIMB_BITS = 30

# Public inputs of every aggregation node (leaf or merge), in order.  rho and rho14 = rho^14 are
# F_q values as 16 bytes (circuits/gadgets/fq.py, narrow form), F and R as 8 16-bit limbs (wide).
NODE_PI_FIELDS = (("note_root_old", 8), ("note_size_old", 1), ("note_root_new", 8), ("note_size_new", 1),
                  ("nf_root_old", 8), ("nf_size_old", 1), ("nf_root_new", 8), ("nf_size_new", 1),
                  ("anchors_digest", 8), ("records_digest", 8), ("rho", 16), ("rho14", 16), ("F", 8),
                  ("R", 8), ("leaf_digest", 8), ("merge_digest", 8))
NODE_PI_OFFSETS = {}
_pos = 0
for _name, _len in NODE_PI_FIELDS:
    NODE_PI_OFFSETS[_name] = (_pos, _len)
    _pos += _len
NODE_NUM_PUBLIC_INPUTS = _pos

# Public inputs of the final (L1-facing) proof
FINAL_PI_FIELDS = (("note_root_old", 8), ("note_size_old", 1), ("note_root_new", 8), ("note_size_new", 1),
                   ("nf_root_old", 8), ("nf_size_old", 1), ("nf_root_new", 8), ("nf_size_new", 1),
                   ("anchors", ANCHORS_LEN), ("records_digest", 8), ("rho", 16), ("F", 8))
FINAL_NUM_PUBLIC_INPUTS = sum(n for _, n in FINAL_PI_FIELDS)
