"""Checks the holder proof of a Doorpass rotating code with `cryptography`, independently of the Rust code.

Usage: holder_proof_check.py PRESENTATION_CBOR_FILE valid|invalid
The file holds the code's CBOR array [pass, step, proof] (the QR text without `DP1:` and Base45). The
holder key is read from the pass's cnf claim, which must be a compressed P-256 COSE_Key
{1: 2, -1: 1, -2: x, -3: y-is-odd}; the proof must be ES256 (raw r || s, 64 bytes, low S) over
"DP1-present" || SHA-256(pass) || step (8 bytes, big-endian). Prints what it found; exits non-zero
when the proof's validity is not the one expected.
"""
import hashlib
import sys

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# The order of the P-256 group.
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def holder_key(pass_bytes):
    sign1 = cbor2.loads(pass_bytes)
    if isinstance(sign1, cbor2.CBORTag):
        assert sign1.tag == 18, sign1.tag
        sign1 = sign1.value
    claims = cbor2.loads(sign1[2])
    cose_key = claims[8][1]
    assert cose_key[1] == 2 and cose_key[-1] == 1, f"not an EC2 P-256 key: {cose_key}"
    x, y_is_odd = cose_key[-2], cose_key[-3]
    assert isinstance(y_is_odd, bool) and len(x) == 32, "not a compressed point"
    point = bytes([0x03 if y_is_odd else 0x02]) + x
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


def proof_is_valid(key, message, proof):
    if len(proof) != 64:
        return False, f"proof is {len(proof)} bytes"
    r, s = int.from_bytes(proof[:32], "big"), int.from_bytes(proof[32:], "big")
    if s > N // 2:
        return False, "high S"
    try:
        key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False, "signature does not verify"
    return True, "ES256 signature verifies"


def main():
    path, expected = sys.argv[1:3]
    pass_bytes, step, proof = cbor2.loads(open(path, "rb").read())
    message = b"DP1-present" + hashlib.sha256(pass_bytes).digest() + step.to_bytes(8, "big")
    valid, why = proof_is_valid(holder_key(pass_bytes), message, proof)
    print(f"cryptography: {'valid' if valid else 'invalid'} ({why})")
    if valid != (expected == "valid"):
        sys.exit(f"expected {expected}")


if __name__ == "__main__":
    main()
