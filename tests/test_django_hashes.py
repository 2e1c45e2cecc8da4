"""Passwords imported from Django keep working, through the one password check of every door,
and are rehashed to ticketgate's argon2 at the first successful login."""

import pytest

from models import User
from resolvers import clock, django_hashes, users
from resolvers.errors import Unauthenticated

PASSWORD = "s3cret-pässword"
# Made by Django 5.2's own hashers (cheap parameters), for PASSWORD.
DJANGO_HASHES = [
    "pbkdf2_sha256$1000$saltsaltsalt$kyJcx/Y1vk+hYDTn48R2QKdj/YzmQPUc302ugk6zCHE=",
    "pbkdf2_sha1$1000$saltsaltsalt$anKAcu+C4oE58AO5F0Ztj5NssmU=",
    "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$CgqUxXa/BnrxmqFzv4n9lB1rltVBc9A7OtVeVh/zO4M",
    "bcrypt_sha256$$2b$04$xnpzfFu6pF5N1v0WxDVoDe6gOcUrKg0y1ijITioJaKkrOu6ihlRVq",
    "bcrypt$$2b$04$zZy2n0ZjzPYhDW/ni2eLVeO99NNz.NAS4jTOrrGk10BZknyJU7mR2",
    "scrypt$1024$saltsaltsalt$8$1$UBMxFosdn1r8FhDtkJ5XY69FNHZQWzp7V92FwyWQ3Fxm2pxOfHJwVyE25Q6T8MjqlJ6Agv5o9HG0rvHwipFu8Q==",
]


@pytest.mark.parametrize("encoded", DJANGO_HASHES)
def test_each_django_scheme_verifies(encoded):
    assert django_hashes.verifiable(encoded)
    assert django_hashes.verify(encoded, PASSWORD)
    assert not django_hashes.verify(encoded, PASSWORD + "x")


@pytest.mark.parametrize(
    "encoded",
    [
        "md5$saltsaltsalt$ee81fd9ed8b9fa291c122e558511aa51",  # unsalted or broken: not taken
        "pbkdf2_sha256$many$salt$hash",
        "pbkdf2_sha256$99999999999$salt$hash",
        "bcrypt_sha256$$not-bcrypt",
        "scrypt$1024$salt",
        "!unusable",
    ],
)
def test_other_and_malformed_hashes_never_match(encoded):
    assert not django_hashes.verify(encoded, PASSWORD)


async def test_login_with_a_django_hash_rehashes_to_argon2():
    user = await User.create(
        username="moved",
        email="moved@example.com",
        password_hash=DJANGO_HASHES[0],
        created_at=clock.now(),
    )
    with pytest.raises(Unauthenticated):
        await users.authenticate_password("moved", "wrong password")
    assert (await User.get(id=user.id)).password_hash == DJANGO_HASHES[0]

    assert (await users.authenticate_password("moved@example.com", PASSWORD)).id == user.id

    rehashed = (await User.get(id=user.id)).password_hash
    assert rehashed.startswith("$argon2")
    assert (await users.authenticate_password("moved", PASSWORD)).id == user.id
    assert (await User.get(id=user.id)).password_hash == rehashed
