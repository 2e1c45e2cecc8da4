"""Django's password hashes, as imported from django-helpdesk (`ticketgate import-helpdesk`).

Only verification: `users.authenticate_password` checks a stored Django hash here and replaces
it with ticketgate's own argon2 hash on the first successful login, so nobody has to reset a
password after moving. Formats (`<algorithm>$…`, Django's `contrib.auth.hashers`):

- `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` (Django's default), `pbkdf2_sha1$…`;
- `argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` (argon2-cffi's hash after `argon2`);
- `bcrypt_sha256$<bcrypt hash of the hex sha256 of the password>`, `bcrypt$<bcrypt hash>`;
- `scrypt$<n>$<salt>$<r>$<p>$<base64 hash>`.

Unsalted and broken schemes (md5, sha1, crypt, unsalted_*) are not verified: their owners set a
new password (`import-helpdesk` lists them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SCHEMES = ("pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "scrypt")
MAX_ITERATIONS = 10_000_000  # pbkdf2 rounds a stored hash may ask for (Django 5.2: 1,000,000)
_argon2 = PasswordHasher()


def scheme(encoded: str) -> str:
    """The algorithm of a Django hash (`""` for anything else, such as ticketgate's own)."""
    return encoded.partition("$")[0] if "$" in encoded and not encoded.startswith("$") else ""


def verifiable(encoded: str) -> bool:
    return scheme(encoded) in SCHEMES


def verify(encoded: str, password: str) -> bool:
    """Whether `password` matches the Django hash `encoded` (False for a malformed one)."""
    try:
        return _CHECKS[scheme(encoded)](encoded, password.encode())
    except (KeyError, ValueError, TypeError, binascii.Error):
        return False


def _pbkdf2(encoded: str, password: bytes) -> bool:
    algorithm, iterations, salt, expected = encoded.split("$")
    rounds = int(iterations)
    if not 0 < rounds <= MAX_ITERATIONS:
        return False
    digest = algorithm.removeprefix("pbkdf2_")
    derived = hashlib.pbkdf2_hmac(digest, password, salt.encode(), rounds)
    return hmac.compare_digest(base64.b64encode(derived).decode("ascii").strip(), expected)


def _argon2_check(encoded: str, password: bytes) -> bool:
    try:
        return _argon2.verify(encoded.removeprefix("argon2"), password)
    except (VerificationError, InvalidHashError):
        return False


def _bcrypt(encoded: str, password: bytes) -> bool:
    algorithm, _, data = encoded.partition("$")
    if algorithm == "bcrypt_sha256":
        password = binascii.hexlify(hashlib.sha256(password).digest())
    return bcrypt.checkpw(password[:72], data.encode("ascii"))


def _scrypt(encoded: str, password: bytes) -> bool:
    _, n, salt, r, p, expected = encoded.split("$")
    derived = hashlib.scrypt(password, salt=salt.encode(), n=int(n), r=int(r), p=int(p), dklen=64)
    return hmac.compare_digest(base64.b64encode(derived).decode("ascii").strip(), expected)


_CHECKS = {
    "pbkdf2_sha256": _pbkdf2,
    "pbkdf2_sha1": _pbkdf2,
    "argon2": _argon2_check,
    "bcrypt_sha256": _bcrypt,
    "bcrypt": _bcrypt,
    "scrypt": _scrypt,
}
