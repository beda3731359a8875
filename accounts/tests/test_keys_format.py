"""The key format: recognisable offline by its prefix and checksum, stored only as a hash."""

import hashlib

import pytest

from accounts import keys


def test_a_key_is_the_prefix_forty_random_base62_characters_and_a_checksum():
    key = keys.generate()
    assert key.startswith("sk-veo-")
    assert len(key) == len("sk-veo-") + 40 + 6
    assert keys.KEY_PATTERN.match(key)
    assert keys.is_well_formed(key)


def test_two_keys_are_never_the_same():
    assert len({keys.generate() for _ in range(1000)}) == 1000


def test_the_checksum_catches_any_single_changed_character():
    key = keys.generate()
    body_start = len(keys.PREFIX)
    for position in range(body_start, len(key)):
        for replacement in "0aZ":
            if key[position] == replacement:
                continue
            typo = key[:position] + replacement + key[position + 1 :]
            assert not keys.is_well_formed(typo), typo


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sk-veo-",
        "sk-proj-" + "a" * 46,
        "sk-veo-" + "a" * 45,
        "sk-veo-" + "a" * 47,
        "sk-veo-" + "a" * 40 + "!!!!!!",
        " sk-veo-" + "a" * 46,
        None,
    ],
)
def test_malformed_texts_are_refused_without_a_lookup(text):
    assert not keys.is_well_formed(text)


def test_the_checksum_is_crc32_of_the_random_part_in_base62():
    # Written out independently, as a secret scanner would implement it.
    random_part = "0123456789abcdefghijABCDEFGHIJklmnopqrst"
    number = __import__("zlib").crc32(random_part.encode())
    digits = ""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while number:
        number, rest = divmod(number, 62)
        digits = alphabet[rest] + digits
    assert keys.checksum(random_part) == digits.rjust(6, "0")
    assert keys.is_well_formed("sk-veo-" + random_part + digits.rjust(6, "0"))


def test_only_a_sha256_hash_and_a_short_prefix_are_derived_for_storage():
    key = keys.generate()
    assert keys.hash_key(key) == hashlib.sha256(key.encode()).hexdigest()
    assert keys.display_prefix(key) == key[:15]
    assert key not in keys.hash_key(key)


def test_a_real_key_with_a_trailing_newline_is_not_well_formed():
    key = keys.generate()
    assert not keys.is_well_formed(key + "\n")
