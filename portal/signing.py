"""One comparison for every signature a partner sends (payment, postal, SMS and push callbacks).

hmac.compare_digest raises TypeError on a str with non-ASCII characters, which made a forged
signature like "签名" a 500 instead of a refusal. Both sides are compared as UTF-8 bytes here,
in constant time; anything that is not a string is simply no match.
"""

import hashlib
import hmac


def hmac_sha256_hex(secret: str, payload: bytes | str) -> str:
    if isinstance(payload, str):
        payload = payload.encode()
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def signature_matches(expected: str, given) -> bool:
    """Whether a received signature equals the expected one (constant time, never raises)."""
    if not isinstance(given, str | bytes) or not given or not expected:
        return False
    if isinstance(given, str):
        given = given.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(expected.encode(), given)
