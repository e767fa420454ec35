"""The exact finite-horizon Bayes-optimal policy of the Bernoulli bandit, by dynamic programming.

K Bernoulli arms with independent ``Beta(alpha_k, beta_k)`` priors, played for ``horizon`` steps.
The belief after ``s_k`` successes and ``f_k`` failures on each arm is a sufficient statistic, and
the Bayes-optimal policy is the optimal policy of the belief MDP, solved by backward induction
(Berry & Fristedt, *Bandit Problems*, 1985, ch. 2; Gittins, Glazebrook & Weber, *Multi-armed Bandit
Allocation Indices*, 2nd ed. 2011, section 1.3; used as the reference agent in Mikulik et al.,
"Meta-trained agents implement Bayes-optimal agents", NeurIPS 2020)::

    p_k(x)     = (alpha_k + s_k) / (alpha_k + beta_k + s_k + f_k)
    V_H(x)     = 0                                  (x has t = sum_k s_k + f_k pulls)
    Q_t(x, k)  = p_k(x) (1 + V_{t+1}(x + success on k)) + (1 - p_k(x)) V_{t+1}(x + failure on k)
    V_t(x)     = max_k Q_t(x, k)

The value of the problem is ``V_0`` at the prior. Arms with identical priors are exchangeable, so a
state is stored once in canonical form (the arms of each identical-prior group sorted by their
counts); arms with equal priors and equal counts then receive bit-identical Q-values, which makes
``tie_split`` exact for them. States are enumerated layer by layer (layer ``t`` = all canonical
states with ``t`` pulls), each counts pair ``(s, f)`` is ranked as ``n (n + 1) / 2 + s`` with
``n = s + f``, a state is keyed by the mixed-radix integer ``(t, rank_1, ..., rank_K)`` (or by its
raw bytes when that integer would overflow int64), and every layer is computed from the next in
array operations. With integer keys the layers laid end to end are globally sorted, so a batch of
states at mixed time steps is looked up with one ``searchsorted``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayes_meta_envs._validate import check_bool, check_int, check_real_array
from bayes_meta_envs.baselines.limits import check_dp_size
from bayes_meta_envs.errors import (
    invalid,
)
from bayes_meta_envs.families import BetaBernoulliArms
from bayes_meta_envs.protocol import tie_split

__all__ = ["BanditSolution", "bayes_optimal_value", "solve_bandit"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_INT64_CODE_LIMIT = 2**62  # mixed-radix keys below this fit int64 with room to spare
_DENSE_TABLE_LIMIT = 2**22  # direct code -> state tables up to 16 MB
_SOLVE_CACHE_SIZE = 8


# ----------------------------------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------------
# the dynamic programme
# ----------------------------------------------------------------------------------------------


def _pair_rank(s: IntArray, f: IntArray) -> IntArray:
    """Rank of the counts pair ``(s, f)``: ``n (n + 1) / 2 + s`` with ``n = s + f``."""
    n = s + f
    return ((n * (n + 1)) >> 1) + s


@dataclass(frozen=True, eq=False)
class _Codec:
    """Arm grouping (exchangeable arms) and the state keys of one problem."""

    n_arms: int
    horizon: int
    perm: IntArray  # internal position j holds original arm perm[j]
    groups: tuple[tuple[int, int], ...]  # internal [start, stop) of each identical-prior group
    radix: IntArray | None  # mixed-radix weights, None when keys are raw bytes
    time_weight: int  # weight of t in the integer keys

    @classmethod
    def build(cls, prior: FloatArray, horizon: int, exploit_symmetry: bool) -> _Codec:
        k = prior.shape[0]
        if exploit_symmetry:
            _, first, label = np.unique(prior, axis=0, return_index=True, return_inverse=True)
            label = np.asarray(label).reshape(-1)
            # groups in order of first appearance, arms in original order within each group
            order = np.argsort(first[label] * k + np.arange(k), kind="stable")
        else:
            label = np.arange(k)
            order = np.arange(k)
        perm = order.astype(np.int64)
        groups: list[tuple[int, int]] = []
        start = 0
        sorted_labels = label[perm]
        for j in range(1, k + 1):
            if j == k or sorted_labels[j] != sorted_labels[start]:
                groups.append((start, j))
                start = j
        n_pairs = (horizon + 1) * (horizon + 2) // 2
        radix = None
        if (horizon + 1) * n_pairs**k < _INT64_CODE_LIMIT:
            radix = np.array([n_pairs**j for j in range(k)], dtype=np.int64)
        return cls(k, horizon, perm, tuple(groups), radix, n_pairs**k)

    def canonical(self, ranks: NDArray[np.integer]) -> NDArray[np.integer]:
        """Sort the ranks within each identical-prior group (rows of internal-order ranks)."""
        out = ranks
        for a, b in self.groups:
            if b - a == 2:  # a pair: min/max is several times faster than a row sort
                lo = np.minimum(out[:, a], out[:, a + 1])
                np.maximum(out[:, a], out[:, a + 1], out=out[:, a + 1])
                out[:, a] = lo
            elif b - a > 2:
                out[:, a:b] = np.sort(out[:, a:b], axis=1)
        return out

    def codes(self, canonical_ranks: NDArray[np.integer]) -> IntArray:
        """The int64 mixed-radix code of the ranks (unique across layers); needs ``radix``."""
        assert self.radix is not None  # internal invariant, checked by the callers
        out = canonical_ranks[:, 0].astype(np.int64)
        for j in range(1, self.n_arms):
            out += canonical_ranks[:, j] * self.radix[j]
        return out

    def keys(self, canonical_ranks: NDArray[np.integer], t: int | IntArray) -> np.ndarray:
        """One sortable key per row (``t`` pulls): the int64 mixed-radix code of
        ``(t, ranks)``, or the row's bytes (then only comparable within a layer)."""
        if self.radix is not None:
            return self.codes(canonical_ranks) + np.asarray(t, dtype=np.int64) * self.time_weight
        rows = np.ascontiguousarray(canonical_ranks, dtype=np.int32)
        return rows.view(np.dtype((np.void, 4 * self.n_arms))).reshape(-1)


def _group_unique(keys: np.ndarray, bound: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sorted unique keys, index of one occurrence of each, inverse)``.

    Equivalent to ``np.unique(keys, return_index=True, return_inverse=True)``, but faster: when the
    keys are integers in ``[0, bound)`` and ``(key, position)`` packs into one int64, a plain
    ``np.sort`` of the packed values replaces the (several times slower) ``argsort``.
    """
    n = keys.shape[0]
    idx_bits = max(int(n - 1).bit_length(), 1)
    if bound is not None and int(bound - 1).bit_length() + idx_bits <= 63:
        packed = np.sort((keys << idx_bits) | np.arange(n, dtype=np.int64))
        order = packed & ((1 << idx_bits) - 1)
        sk = packed >> idx_bits
    else:
        order = np.argsort(keys)
        sk = keys[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = sk[1:] != sk[:-1]  # (the ufunc with out= has no loop for byte keys)
    inverse = np.empty(n, dtype=np.int32)
    inverse[order] = np.cumsum(new, dtype=np.int32) - 1
    return sk[new], order[new], inverse


def _pair_counts(horizon: int) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Pulls ``n`` and successes ``s`` of every pair rank ``n (n + 1) / 2 + s``, ``n <= H``."""
    n_of = np.concatenate([np.full(m + 1, m, dtype=np.int32) for m in range(horizon + 1)])
    s_of = np.concatenate([np.arange(m + 1, dtype=np.int32) for m in range(horizon + 1)])
    return n_of, s_of


def _enumerate(
    prior: FloatArray, horizon: int, exploit_symmetry: bool
) -> tuple[_Codec, list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The canonical belief states layer by layer: ``(codec, ranks, keys, successors)``, where
    ``ranks[t]`` is ``(N_t, K)`` (internal arm order), ``keys[t]`` their sort keys and
    ``successors[t]`` ``(N_t, K, 2)`` the next layer's index after a success / failure."""
    k = prior.shape[0]
    codec = _Codec.build(prior, horizon, exploit_symmetry)
    n_of, _ = _pair_counts(horizon)
    ranks: np.ndarray = np.zeros((1, k), dtype=np.int32)
    layer_ranks: list[np.ndarray] = [ranks]
    layer_keys: list[np.ndarray] = [codec.keys(ranks, 0)]
    successors: list[np.ndarray] = []  # (N_t, K, 2): next-layer index, success / failure
    for t in range(horizon):
        cand = np.broadcast_to(ranks[:, None, None, :], (ranks.shape[0], k, 2, k)).copy()
        for j in range(k):
            step = ranks[:, j] + n_of[ranks[:, j]]
            cand[:, j, 0, j] = step + 2  # success on arm j: (s + 1, f)
            cand[:, j, 1, j] = step + 1  # failure on arm j: (s, f + 1)
        flat = codec.canonical(cand.reshape(-1, k))
        if codec.radix is not None:
            codes, first, inverse = _group_unique(codec.codes(flat), codec.time_weight)
            keys = codes + (t + 1) * codec.time_weight
        else:
            keys, first, inverse = _group_unique(codec.keys(flat, t + 1), None)
        successors.append(inverse.reshape(-1, k, 2))
        ranks = flat[first]
        layer_ranks.append(ranks)
        layer_keys.append(keys)
    return codec, layer_ranks, layer_keys, successors


def _solve(prior: FloatArray, horizon: int, exploit_symmetry: bool) -> BanditSolution:
    """Backward induction over canonical belief states (see the module docstring)."""
    k = prior.shape[0]
    codec, layer_ranks, layer_keys, successors = _enumerate(prior, horizon, exploit_symmetry)
    a = prior[codec.perm, 0]
    ab = prior[codec.perm].sum(axis=1)
    n_of, s_of = _pair_counts(horizon)

    # backward: Q_t from V_{t+1}
    v_next = np.zeros(layer_ranks[horizon].shape[0])
    qs: list[FloatArray] = [np.zeros((v_next.shape[0], k))]
    for t in range(horizon - 1, -1, -1):
        r = layer_ranks[t]
        p = (a + s_of[r]) / (ab + n_of[r])
        succ = successors[t]
        q = p * (1.0 + v_next[succ[:, :, 0]]) + (1.0 - p) * v_next[succ[:, :, 1]]
        qs.append(q)
        v_next = q[:, 0].copy()
        for j in range(1, k):  # max over a short axis: faster column by column
            np.maximum(v_next, q[:, j], out=v_next)
    qs.reverse()
    sizes = np.array([lk.shape[0] for lk in layer_keys])
    all_keys = np.concatenate(layer_keys)
    dense = None
    if codec.radix is not None and codec.time_weight <= _DENSE_TABLE_LIMIT:
        dense = np.full(codec.time_weight, -1, dtype=np.int32)
        dense[all_keys % codec.time_weight] = np.arange(all_keys.shape[0], dtype=np.int32)
    return BanditSolution(
        n_arms=k,
        horizon=horizon,
        prior=prior.copy(),
        value=float(v_next[0]),
        n_states=int(sizes.sum()),
        exploit_symmetry=exploit_symmetry,
        _codec=codec,
        _keys=all_keys,
        _q=np.concatenate(qs),
        _layer_start=np.concatenate([[0], np.cumsum(sizes)]),
        _dense=dense,
    )


@dataclass(frozen=True, eq=False)
class BanditSolution:
    """The solved finite-horizon Bernoulli bandit: value and Q-values of every belief state.

    Attributes:
        n_arms: number of arms K.
        horizon: number of pulls H.
        prior: ``(K, 2)`` Beta priors ``(alpha_k, beta_k)``.
        value: ``V_0`` at the prior, the expected total reward of the Bayes-optimal policy.
        n_states: number of canonical belief states stored, all layers ``t = 0..H`` together.
        exploit_symmetry: whether arms with identical priors were merged (canonical states).
    """

    n_arms: int
    horizon: int
    prior: FloatArray
    value: float
    n_states: int
    exploit_symmetry: bool
    _codec: _Codec = field(repr=False)
    _keys: np.ndarray = field(repr=False)  # every state's key, layer after layer
    _q: FloatArray = field(repr=False)  # (n_states, K) Q-values in the same order
    _layer_start: IntArray = field(repr=False)  # layer t is [_layer_start[t], _layer_start[t + 1])
    _dense: NDArray[np.int32] | None = field(repr=False)  # code -> state index, small problems

    def _check_counts(
        self, successes: ArrayLike, failures: ArrayLike
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Counts as int64 ``(B, K)`` arrays and the time steps ``t`` ``(B,)``, or raise."""
        s = check_real_array("successes", successes, "counts (ints >= 0, not bools)")
        f = check_real_array("failures", failures, "counts (ints >= 0, not bools)")
        k = self.n_arms
        if s.ndim == 1:
            s = s[None, :]
        if f.ndim == 1:
            f = f[None, :]
        if s.ndim != 2 or s.shape[1] != k or s.shape != f.shape or s.shape[0] == 0:
            raise invalid(
                "successes, failures",
                (s.shape, f.shape),
                f"two arrays of the same shape (B, {k}), B >= 1",
            )
        # beyond the horizon (or non-finite) before converting: int64 sums must not overflow
        big = ~(np.isfinite(s) & np.isfinite(f) & (s <= self.horizon) & (f <= self.horizon))
        if np.any(big):
            row = int(np.nonzero(big.any(axis=1))[0][0])
            raise invalid(
                "successes, failures",
                (s[row], f[row]),
                f"finite counts with at most horizon={self.horizon} pulls in all",
            )
        si, fi = np.rint(s).astype(np.int64), np.rint(f).astype(np.int64)
        bad = (np.abs(s - si) > 1e-6) | (np.abs(f - fi) > 1e-6)
        if np.any(bad):
            row = int(np.nonzero(bad.any(axis=1))[0][0])
            raise invalid("successes, failures", (s[row], f[row]), "integer counts")
        if min(si.min(), fi.min()) < 0:
            row = int(np.nonzero(((si < 0) | (fi < 0)).any(axis=1))[0][0])
            raise invalid("successes, failures", (s[row], f[row]), "counts >= 0")
        t = si.sum(axis=1) + fi.sum(axis=1)
        if t.max() > self.horizon:
            row = int(np.argmax(t))
            raise invalid(
                "successes, failures",
                (s[row], f[row]),
                f"counts with at most horizon={self.horizon} pulls in all",
            )
        return si, fi, t

    def q_values(self, successes: ArrayLike, failures: ArrayLike) -> FloatArray:
        """Q-values ``Q_t(x, k)`` of belief states given by counts, vectorised over a batch.

        Args:
            successes, failures: ``(B, K)`` (or ``(K,)``) counts per arm since the prior; the time
                step is ``t = sum(successes + failures)`` (``t = H`` gives zeros).

        Returns:
            ``(B, K)``: the expected total reward still to come if arm ``k`` is pulled now and the
            Bayes-optimal policy is followed afterwards.
        """
        s, f, t = self._check_counts(successes, failures)
        return self._lookup(s, f, t)

    def _lookup(self, s: IntArray, f: IntArray, t: IntArray) -> FloatArray:
        """:meth:`q_values` of checked int64 counts ``(B, K)`` and their time steps ``(B,)``."""
        codec = self._codec
        perm = codec.perm
        identity = bool(np.all(perm == np.arange(self.n_arms)))
        ranks = _pair_rank(s, f) if identity else _pair_rank(s[:, perm], f[:, perm])
        swapped: NDArray[np.bool_] | None = None  # the single pair group, when that is all
        if codec.groups == ((0, 2),) and identity:
            swapped = ranks[:, 0] > ranks[:, 1]
            lo = np.minimum(ranks[:, 0], ranks[:, 1])
            np.maximum(ranks[:, 0], ranks[:, 1], out=ranks[:, 1])
            ranks[:, 0] = lo
        order: IntArray | None = None  # canonical position -> internal position, per row
        for a, b in codec.groups if swapped is None else ():
            if b - a > 1:
                if order is None:
                    order = np.broadcast_to(np.arange(self.n_arms), ranks.shape).copy()
                if b - a == 2:  # a pair: compare instead of a row sort
                    x, y = ranks[:, a].copy(), ranks[:, a + 1].copy()
                    swap = x > y
                    order[:, a] += swap
                    order[:, a + 1] -= swap
                    np.minimum(x, y, out=ranks[:, a])
                    np.maximum(x, y, out=ranks[:, a + 1])
                else:
                    o = np.argsort(ranks[:, a:b], axis=1)
                    order[:, a:b] = a + o
                    ranks[:, a:b] = np.take_along_axis(ranks[:, a:b], o, axis=1)
        if self._dense is not None:
            q_canon = self._q[self._dense[codec.codes(ranks)]]
        elif codec.radix is not None:
            q_canon = self._q[np.searchsorted(self._keys, codec.keys(ranks, t))]
        else:
            keys = codec.keys(ranks, t)
            q_canon = np.empty(ranks.shape, dtype=np.float64)
            for tt in np.unique(t):
                lo, hi = self._layer_start[tt], self._layer_start[tt + 1]
                sel = t == tt
                q_canon[sel] = self._q[lo + np.searchsorted(self._keys[lo:hi], keys[sel])]
        if swapped is not None:
            return np.where(swapped[:, None], q_canon[:, ::-1], q_canon)
        if order is None:
            q_internal = q_canon
        else:
            q_internal = np.empty_like(q_canon)
            np.put_along_axis(q_internal, order, q_canon, axis=1)
        if identity:
            return q_internal
        out = np.empty_like(q_internal)
        out[:, perm] = q_internal
        return out

    def q_values_posterior(self, alphas: ArrayLike, betas: ArrayLike) -> FloatArray:
        """:meth:`q_values` of the posteriors ``Beta(alphas, betas)`` (``(B, K)`` each)."""
        al = np.asarray(alphas, dtype=np.float64)
        be = np.asarray(betas, dtype=np.float64)
        return self.q_values(al - self.prior[:, 0], be - self.prior[:, 1])

    def values(self, successes: ArrayLike, failures: ArrayLike) -> FloatArray:
        """``V_t(x) = max_k Q_t(x, k)`` for a batch of count states; shape ``(B,)``."""
        return self.q_values(successes, failures).max(axis=1)

    def policy(self, successes: ArrayLike, failures: ArrayLike, atol: float = 1e-9) -> FloatArray:
        """Bayes-optimal action probabilities ``(B, K)``: ties within ``atol`` split uniformly."""
        return tie_split(self.q_values(successes, failures), atol=atol)


@functools.lru_cache(maxsize=_SOLVE_CACHE_SIZE)
def _solve_cached(
    n_arms: int, horizon: int, prior_key: tuple[float, ...], exploit_symmetry: bool
) -> BanditSolution:
    prior = np.asarray(prior_key, dtype=np.float64).reshape(n_arms, 2)
    return _solve(prior, horizon, exploit_symmetry)


def solve_bandit(
    n_arms: int = 2,
    horizon: int = 20,
    prior: ArrayLike = (1.0, 1.0),
    *,
    exploit_symmetry: bool = True,
) -> BanditSolution:
    """Solve the K-armed Bernoulli bandit with Beta priors exactly by backward induction.

    See the module docstring for the recursion. Solutions are cached in-process, keyed by
    ``(n_arms, horizon, prior, exploit_symmetry)``.

    Args:
        n_arms: number of arms K >= 1.
        horizon: number of pulls H >= 1.
        prior: one ``(alpha, beta)`` pair for every arm or a ``(K, 2)`` array, all values > 0.
        exploit_symmetry: store states of exchangeable arms (identical priors) once; turning it
            off gives the same values with up to ``K!`` times more states (for testing).

    Returns:
        A :class:`BanditSolution`. Time and memory grow with the number of belief states, about
        ``C(H + 2K, 2K) / K!`` for identical priors: for instance 2 arms and H = 100, or 5 arms
        and H = 20, take around a second.

    Raises:
        ProblemTooLargeError: the estimated memory
            (:func:`~bayes_meta_envs.baselines.limits.dp_bytes_estimate`) exceeds the limit
            ``dp_max_bytes`` of :mod:`bayes_meta_envs.baselines.limits` (4 GiB by default),
            checked before anything is allocated.
    """
    arms = BetaBernoulliArms(n_arms, prior)
    h = check_int("horizon", horizon, 1)
    symmetric = check_bool("exploit_symmetry", exploit_symmetry)
    key = tuple(float(v) for v in arms.prior.reshape(-1))
    if symmetric:
        _, counts = np.unique(arms.prior, axis=0, return_counts=True)
        groups = [int(c) for c in counts]
    else:
        groups = [1] * arms.n_arms
    check_dp_size(arms.n_arms, h, groups)
    return _solve_cached(arms.n_arms, h, key, symmetric)


def bayes_optimal_value(n_arms: int = 2, horizon: int = 20, prior: ArrayLike = (1.0, 1.0)) -> float:
    """Expected total reward of the Bayes-optimal policy from the prior: ``V_0`` of
    :func:`solve_bandit`."""
    return solve_bandit(n_arms, horizon, prior).value
