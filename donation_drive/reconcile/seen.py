"""A fixed-size record of which Stripe payments a run has already compared.

After walking Stripe's payments, a run looks at the ledger's side: card donations
that Stripe may not know. Remembering every id seen would grow with the number of
payments; this Bloom filter stays at ``SIZE_BYTES`` whatever the count. It answers
"certainly not seen" (then the run asks Stripe about that payment directly) or
"probably seen". A false "probably" only skips a re-check, never invents a finding;
at 1 MiB and 7 hashes it happens about twice in a hundred million lookups with
100,000 payments in a window (2% with a million), and each run salts the hashes
differently, so the same payment is not skipped run after run.
"""

from __future__ import annotations

import hashlib
import os

SIZE_BYTES = 1 << 20
HASHES = 7


class SeenIds:
    def __init__(self, size_bytes: int = SIZE_BYTES, hashes: int = HASHES) -> None:
        self._bits = bytearray(size_bytes)
        self._modulus = size_bytes * 8
        self._hashes = hashes
        self._salt = os.urandom(16)

    def _positions(self, key: str) -> list[int]:
        digest = hashlib.blake2b(key.encode(), digest_size=8 * self._hashes, key=self._salt)
        raw = digest.digest()
        return [
            int.from_bytes(raw[i * 8 : (i + 1) * 8], "big") % self._modulus
            for i in range(self._hashes)
        ]

    def add(self, key: str) -> None:
        for position in self._positions(key):
            self._bits[position >> 3] |= 1 << (position & 7)

    def __contains__(self, key: str) -> bool:
        return all(self._bits[p >> 3] & (1 << (p & 7)) for p in self._positions(key))
