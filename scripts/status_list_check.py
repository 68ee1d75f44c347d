"""Reads a Doorpass status list with pycose and zlib, independently of the Rust code.

Usage: status_list_check.py LIST_FILE ISSUER_PUBLIC_KEY_HEX URI REVOKED CLEAR
REVOKED and CLEAR are comma-separated entry indexes: the list must revoke exactly REVOKED, and
each index in CLEAR must be clear. Exits non-zero, saying why, on any difference.
"""
import sys
import zlib

import cbor2
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

TYP = "application/statuslist+cwt"


def indexes(text):
    return {int(i) for i in text.split(",") if i}


def main():
    path, public_hex, uri, revoked, clear = sys.argv[1:6]
    data = open(path, "rb").read()
    message = Sign1Message.decode(data)
    message.key = OKPKey(crv=Ed25519, x=bytes.fromhex(public_hex))
    assert message.verify_signature(), "the signature does not verify"
    # The protected header as raw CBOR: {1: -8, 4: kid, 16: typ}.
    header = cbor2.loads(message.phdr_encoded)
    assert header.get(1) == -8, header
    assert header.get(16) == TYP, header
    assert len(header.get(4, b"")) == 8, header
    claims = cbor2.loads(message.payload)
    assert claims[2] == uri, claims[2]
    assert claims[6] <= claims[4], "iat after exp"
    assert claims[65534] > 0, "ttl"
    status_list = claims[65533]
    assert status_list["bits"] == 1, status_list["bits"]
    bits = zlib.decompress(status_list["lst"])
    found = {
        8 * byte_index + bit
        for byte_index, byte in enumerate(bits)
        if byte
        for bit in range(8)
        if byte >> bit & 1
    }
    assert found == indexes(revoked), f"revoked {sorted(found)}, expected {sorted(indexes(revoked))}"
    for index in indexes(clear):
        assert not bits[index // 8] >> (index % 8) & 1, f"entry {index} is not clear"
    print(f"pycose: {len(bits) * 8} entries, revoked {sorted(found)}, {len(indexes(clear))} checked clear")


if __name__ == "__main__":
    main()
