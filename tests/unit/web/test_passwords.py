from __future__ import annotations

import pytest

from dozvon.web.passwords import BadHash, hash_password, parse_hash, verify_password


def test_a_hash_round_trips() -> None:
    encoded = hash_password("пароль-123", n=2**10)
    assert encoded.startswith("scrypt$1024$8$1$")
    assert verify_password("пароль-123", encoded)
    assert not verify_password("пароль-124", encoded)
    assert not verify_password("", encoded)


def test_the_default_cost_is_the_strong_one() -> None:
    assert hash_password("x").split("$")[1:4] == ["16384", "8", "1"]


def test_each_hash_has_its_own_salt() -> None:
    assert hash_password("same", n=2**10) != hash_password("same", n=2**10)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plain-password",
        "bcrypt$12$abc",
        "scrypt$16384$8$1$c2FsdHNhbHQ=",
        "scrypt$abc$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==",
        "scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==",
        "scrypt$16384$8$1$not base64!$aGFzaGhhc2hoYXNoaGFzaA==",
        "scrypt$16384$8$1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==",
        "scrypt$16384$99$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==",
        "scrypt$4194304$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==",
    ],
)
def test_a_malformed_hash_is_refused_clearly(encoded: str) -> None:
    with pytest.raises(BadHash):
        parse_hash(encoded)
