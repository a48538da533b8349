"""Gadgets: circuit fragments, each with a plain twin and a property test against it.

| gadget                          | plain twin                                   |
|---------------------------------|----------------------------------------------|
| hashing.hash_elements           | shielded.hash.sponge.hash_elements           |
| hashing.compress                | shielded.hash.sponge.compress                |
| merkle.merkle_root              | shielded.commit.merkle.root_from_path        |
| arith.u64_input / range_limbs   | arith.u64_limbs (and int range)              |
| arith.is_nonzero                | x != 0                                       |
| arith.assert_digests_differ     | a != b                                       |
| arith.select_digest             | b ? x : y                                    |
| arith.bits_to_element           | sum b_i 2^i                                  |
"""
