"""The API key format: `sk-veo-` + 40 random base62 characters + a 6-character checksum.

The checksum (CRC32 of the random part, in base62) lets a secret scanner recognise one of our
keys offline, and lets us answer "malformed" without a database lookup.
"""

import hashlib
import re
import secrets
import string
import zlib

PREFIX = "sk-veo-"
ALPHABET = string.digits + string.ascii_letters
RANDOM_LENGTH = 40
CHECKSUM_LENGTH = 6
KEY_PATTERN = re.compile(rf"^{PREFIX}[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}$")
DISPLAY_LENGTH = len(PREFIX) + 8


def _base62(number, width):
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def checksum(random_part):
    return _base62(zlib.crc32(random_part.encode()), CHECKSUM_LENGTH)


def generate():
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return PREFIX + random_part + checksum(random_part)


def is_well_formed(key):
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        return False
    body = key[len(PREFIX) :]
    return secrets.compare_digest(body[RANDOM_LENGTH:], checksum(body[:RANDOM_LENGTH]))


def hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key):
    return key[:DISPLAY_LENGTH]
