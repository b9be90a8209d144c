"""AES-GCM's one rule: a nonce is never used twice under a key. The sealer draws its nonces from a shared pool with
no lock of its own (``storage/sealing.py``), so this checks that many threads sealing at once, across refills of
the pool, never get the same nonce, and that values sealed that way still open."""

from __future__ import annotations

import threading

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from isp_ledger.storage.data_keys import NONCE_BYTES
from isp_ledger.storage.sealing import _NONCES, open_with, seal_with


def test_threads_sealing_at_once_never_share_a_nonce_and_every_value_opens() -> None:
    key = AESGCM(AESGCM.generate_key(bit_length=256))
    per_thread, threads = 3 * _NONCES.BATCH, 8  # each thread outlasts several refills of the pool
    sealed: list[list[str]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def seal_many(i: int) -> None:
        start.wait()
        sealed[i] = [seal_with(key, b"aad", f"value {i}.{n}") for n in range(per_thread)]

    workers = [threading.Thread(target=seal_many, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    tokens = [token for tokens in sealed for token in tokens]
    nonces = {token[:2 * NONCE_BYTES] for token in tokens}
    assert len(tokens) == per_thread * threads
    assert len(nonces) == len(tokens)
    assert all(open_with(key, b"aad", token) == f"value {i}.{n}"
               for i, tokens_of in enumerate(sealed) for n, token in enumerate(tokens_of))


def test_a_forgotten_pool_is_never_drawn_from_again() -> None:
    """What a child process does after a fork: the parent's unused nonces are dropped, never reused."""
    _NONCES.forget()
    first = _NONCES.next()
    left = list(_NONCES._pool)
    _NONCES.forget()
    after = {_NONCES.next() for _ in range(2 * _NONCES.BATCH)}
    assert first not in after
    assert not after & set(left)
