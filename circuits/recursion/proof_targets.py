"""A proof as circuit inputs, and their assignment from a native proof.

Shapes come from the verifying key alone: caps of 2^min(cap_height, log N) digests, every
column's value at zeta, Z at omega*zeta, for every tree and every query one row and one full
path (from the leaf to the root of the cap), FRI layer caps, the final polynomial and the nonce.
``assign_proof`` fills them from a native proof: the query indices are replayed natively and the
deduplicated batch openings are expanded into per-query paths (the top levels from the cap).
"""

from __future__ import annotations

from dataclasses import dataclass

from circuits.recursion.values import BaseV, ExtV
from shielded.commit.merkle import effective_cap_height
from shielded.errors import CircuitError


@dataclass
class TreeTargets:
    rows: list        # per query: list of BaseV (leaf values then salt)
    paths: list       # per query: list of siblings (each a list of 8 BaseV), bottom-up, full depth


@dataclass
class FriTargets:
    layer_caps: list
    final_poly: list
    pow_nonce: BaseV
    layers: list


@dataclass
class PcsTargets:
    batches: list
    fri: FriTargets


@dataclass
class ProofTargets:
    wires_cap: list
    perm_cap: list
    quotient_cap: list
    openings: list
    openings_next: list
    pcs: PcsTargets


def _digests(b, count: int) -> list:
    return [[BaseV(b, v) for v in b.add_inputs(8)] for _ in range(count)]


def _tree(b, queries: int, width: int, depth: int) -> TreeTargets:
    rows = [[BaseV(b, v) for v in b.add_inputs(width)] for _ in range(queries)]
    paths = [_digests(b, depth) for _ in range(queries)]
    return TreeTargets(rows, paths)


def tree_widths(vk) -> list[int]:
    L, salt = vk.layout, vk.config.salt_size
    return [L.batch_sizes[0], L.batch_sizes[1] + salt, L.batch_sizes[2] + salt, L.batch_sizes[3] + salt]


def allocate_proof_targets(b, vk) -> ProofTargets:
    cfg, fri = vk.config, vk.config.fri
    if fri.hash != "poseidon2":
        raise CircuitError("only Poseidon2 proofs can be verified inside a circuit")
    q = fri.num_queries
    log_dom = vk.log_n + fri.log_blowup
    cap_len = vk.preprocessed_cap.shape[0]
    caps = [_digests(b, cap_len) for _ in range(3)]
    openings = [ExtV.from_vars(b, b.add_inputs(4)) for _ in range(vk.layout.total_columns)]
    nxt = [ExtV.from_vars(b, b.add_inputs(4)) for _ in range(4)]
    batches = [_tree(b, q, w, log_dom) for w in tree_widths(vk)]
    layer_caps, layers = [], []
    log_n = log_dom
    for ab in fri.arity_schedule(vk.log_n):
        log_n -= ab
        layer_caps.append(_digests(b, 1 << min(fri.cap_height, log_n)))
        layers.append(_tree(b, q, 4 << ab, log_n))
    final_len = 1 << min(fri.log_final_len, vk.log_n)
    final_poly = [ExtV.from_vars(b, b.add_inputs(4)) for _ in range(final_len)]
    nonce = BaseV(b, b.add_input())
    return ProofTargets(caps[0], caps[1], caps[2], openings, nxt,
                        PcsTargets(batches, FriTargets(layer_caps, final_poly, nonce, layers)))


# -- assignment --------------------------------------------------------------------------------

def full_paths(hasher, cap, log_leaves: int, rows, opening) -> dict:
    """{index: siblings bottom-up, full depth} for the distinct opened indices, replaying the
    batch opening and completing the path with the cap's own tree."""
    import numpy as np
    cap = np.asarray(cap)
    cap_h = effective_cap_height(1 << log_leaves, cap.shape[0].bit_length() - 1)
    distinct = sorted(rows)
    digests = hasher.hash_rows(np.array([rows[i] for i in distinct], np.uint32))
    levels = [dict(zip(distinct, (tuple(int(x) for x in d) for d in digests)))]
    sibs = [tuple(int(x) for x in s) for s in opening.siblings]
    pos = 0
    known = sorted(levels[0])
    for _ in range(log_leaves - cap_h):
        nodes = levels[-1]
        for i in known:
            s = i ^ 1
            if s not in nodes:
                nodes[s] = sibs[pos]
                pos += 1
        up = sorted(set(j >> 1 for j in known))
        digests = hasher.compress(np.array([nodes[2 * i] for i in up], np.uint32),
                                  np.array([nodes[2 * i + 1] for i in up], np.uint32))
        parents = {i: tuple(int(x) for x in d) for i, d in zip(up, digests)}
        levels.append(parents)
        known = sorted(parents)
    if pos != len(sibs):
        raise CircuitError("batch opening has unused siblings")
    # the cap level: all cap digests, then the cap's own tree up to the root
    levels[-1] = {i: tuple(int(x) for x in d) for i, d in enumerate(cap)}
    while len(levels[-1]) > 1:
        cur = levels[-1]
        half = len(cur) // 2
        digests = hasher.compress(np.array([cur[2 * i] for i in range(half)], np.uint32),
                                  np.array([cur[2 * i + 1] for i in range(half)], np.uint32))
        levels.append({i: tuple(int(x) for x in d) for i, d in enumerate(digests)})
    return {i: [levels[l][(i >> l) ^ 1] for l in range(log_leaves)] for i in distinct}


def assign_proof(targets: ProofTargets, vk, proof, query_indices) -> dict:
    """{Var: value} for every proof target, from a native proof and its query indices."""
    import numpy as np
    fri_cfg = vk.config.fri
    hasher = fri_cfg.hasher
    out = {}

    def put_digests(tlist, arr):
        for t, d in zip(tlist, np.asarray(arr)):
            for tv, x in zip(t, d):
                out[tv.var] = int(x)

    put_digests(targets.wires_cap, proof.wires_cap)
    put_digests(targets.perm_cap, proof.perm_cap)
    put_digests(targets.quotient_cap, proof.quotient_cap)
    for t, row in zip(targets.openings, proof.openings):
        out.update(zip(t.vars, map(int, row)))
    for t, row in zip(targets.openings_next, proof.openings_next):
        out.update(zip(t.vars, map(int, row)))

    def put_tree(tt: TreeTargets, opening, cap, log_leaves, indices):
        distinct = sorted(set(indices))
        try:
            if opening.rows.shape[0] != len(distinct):
                raise CircuitError("openings do not match the queries")
            rows = {i: [int(x) for x in opening.rows[k]] for k, i in enumerate(distinct)}
            paths = full_paths(hasher, cap, log_leaves, rows, opening.opening)
        except (CircuitError, IndexError, KeyError):
            # The proof has no valid opening at these queries (an invalid proof whose queries
            # moved): fill in zeros, as an adversary might; the in-circuit checks reject them.
            width = len(tt.rows[0])
            rows = {i: [0] * width for i in distinct}
            paths = {i: [(0,) * 8] * log_leaves for i in distinct}
        for q, i in enumerate(indices):
            for tv, x in zip(tt.rows[q], rows[i]):
                out[tv.var] = x
            for sib_t, sib in zip(tt.paths[q], paths[i]):
                for tv, x in zip(sib_t, sib):
                    out[tv.var] = x

    log_dom = vk.log_n + fri_cfg.log_blowup
    caps = [vk.preprocessed_cap, proof.wires_cap, proof.perm_cap, proof.quotient_cap]
    for tt, op, cap in zip(targets.pcs.batches, proof.pcs.batches, caps):
        put_tree(tt, op, cap, log_dom, list(query_indices))
    fri = proof.pcs.fri
    log_n = log_dom
    for k, ab in enumerate(fri_cfg.arity_schedule(vk.log_n)):
        log_n -= ab
        put_digests(targets.pcs.fri.layer_caps[k], fri.layer_caps[k])
        put_tree(targets.pcs.fri.layers[k], fri.layers[k], fri.layer_caps[k], log_n,
                 [i & ((1 << log_n) - 1) for i in query_indices])
    for t, e in zip(targets.pcs.fri.final_poly, fri.final_poly):
        out.update(zip(t.vars, e.c))
    out[targets.pcs.fri.pow_nonce.var] = int(fri.pow_nonce)
    return out
