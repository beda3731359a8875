"""Small helpers the accounts tests share: reading links out of mail and pages."""

import re

from accounts import keys

# The one /v1 endpoint every key may call and that needs authentication.
AUTHED_PATH = "/v1/models"

KEY_IN_TEXT = re.compile(
    rf"{keys.PREFIX}[0-9A-Za-z]{{{keys.RANDOM_LENGTH + keys.CHECKSUM_LENGTH}}}"
)


def link_in(text, path_fragment):
    """The first http(s) link in `text` whose path contains `path_fragment`."""
    for url in re.findall(r"https?://[^\s\"'<>]+", text):
        if path_fragment in url:
            return url
    raise AssertionError(f"no link containing {path_fragment!r} in:\n{text}")


def raw_key_in(html):
    found = KEY_IN_TEXT.findall(html)
    assert len(set(found)) == 1, (
        f"expected exactly one raw key on the page, found {len(set(found))}"
    )
    return found[0]


def bearer(raw_key):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}
