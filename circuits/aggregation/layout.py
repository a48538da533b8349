"""Constants shared by the aggregation circuits and their plain twins (SPEC.md, Part III)."""

MAX_ANCHORS = 4
WORD = 8
HEADER_WORDS = 5
RECORD_WORDS = 7
HEADER_ELEMENTS = HEADER_WORDS * WORD
RECORD_ELEMENTS = RECORD_WORDS * WORD
ANCHORS_LEN = 1 + MAX_ANCHORS * 8        # count, then four digests

KEY_LIMBS = 4
KEY_LIMB_BITS = 30

# Public inputs of every aggregation node (leaf or merge), in order
NODE_PI_FIELDS = (("note_root_old", 8), ("note_size_old", 1), ("note_root_new", 8), ("note_size_new", 1),
                  ("nf_root_old", 8), ("nf_size_old", 1), ("nf_root_new", 8), ("nf_size_new", 1),
                  ("anchors_digest", 8), ("records_digest", 8), ("r", 4), ("F", 4), ("R", 4),
                  ("leaf_digest", 8), ("merge_digest", 8))
NODE_PI_OFFSETS = {}
_pos = 0
for _name, _len in NODE_PI_FIELDS:
    NODE_PI_OFFSETS[_name] = (_pos, _len)
    _pos += _len
NODE_NUM_PUBLIC_INPUTS = _pos

# Public inputs of the final (L1-facing) proof
FINAL_PI_FIELDS = (("note_root_old", 8), ("note_size_old", 1), ("note_root_new", 8), ("note_size_new", 1),
                   ("nf_root_old", 8), ("nf_size_old", 1), ("nf_root_new", 8), ("nf_size_new", 1),
                   ("records_digest", 8), ("r", 4), ("F", 4))
FINAL_NUM_PUBLIC_INPUTS = sum(n for _, n in FINAL_PI_FIELDS)
