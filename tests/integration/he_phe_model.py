# SPDX-License-Identifier: Apache-2.0
"""A minimal model of python-paillier's (phe) key and number formats, for he_cli.sh.

Written from phe's published formats (docs/serialisation.rst, phe/command_line.py): JWK keys
with base64url integers, g = n + 1, numbers as {"v": decimal ciphertext, "e": exponent} meaning
M * 16^e with M signed in Z_n (guard band n/3). It is an independent implementation used to
check clave's interop; it is not phe itself (phe is not packaged for Debian).

Usage: he_phe_model.py decrypt PRIVATE.json NUMBERS.json   -> values, one per line
       he_phe_model.py encrypt PUBLIC.json VALUE EXPONENT  -> pheutil number on stdout
"""
import base64
import json
import secrets
import sys
from fractions import Fraction


def b64_int(s):
    return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), "big")


def public_n(jwk):
    assert jwk["kty"] == "DAJ" and jwk["alg"] == "PAI-GN1", "not a phe public key"
    return b64_int(jwk["n"])


def decrypt(priv, c, exponent):
    n = public_n(priv["pub"])
    p, q = b64_int(priv["p"]), b64_int(priv["q"])
    assert p * q == n
    lam = (p - 1) * (q - 1)
    mu = pow(lam, -1, n)
    m = (pow(c, lam, n * n) - 1) // n * mu % n
    max_int = n // 3 - 1
    if m <= max_int:
        mantissa = m
    elif m >= n - max_int:
        mantissa = m - n
    else:
        raise OverflowError("overflow detected in decrypted number")
    return Fraction(mantissa) * Fraction(16) ** exponent


def numbers(doc):
    if "v" in doc:
        return [(int(doc["v"]), doc["e"])]
    return [(int(c), e) for c, e in doc["values"]]


def main():
    if sys.argv[1] == "decrypt":
        priv = json.load(open(sys.argv[2]))
        for c, e in numbers(json.load(open(sys.argv[3]))):
            print(float(decrypt(priv, c, e)))
    elif sys.argv[1] == "encrypt":
        n = public_n(json.load(open(sys.argv[2])))
        exponent = int(sys.argv[4])
        m = round(Fraction(sys.argv[3]) * Fraction(16) ** -exponent) % n
        r = secrets.randbelow(n - 1) + 1
        c = (1 + m * n) * pow(r, n, n * n) % (n * n)
        print(json.dumps({"v": str(c), "e": exponent}))
    else:
        sys.exit("usage: he_phe_model.py decrypt|encrypt ...")


if __name__ == "__main__":
    main()
