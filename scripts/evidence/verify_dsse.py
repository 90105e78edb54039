"""Verifies a sovereign-lint evidence bundle with independent Python implementations:
securesystemslib checks the DSSE envelope's signature (its own pre-authentication encoding and
ECDSA/Ed25519 verification through pyca/cryptography), and in-toto-attestation parses and validates
the payload as an in-toto Statement v1 (protobuf JSON form).

Usage: .venv/bin/python scripts/evidence/verify_dsse.py BUNDLE PUBKEY_PEM
Prints one line per check and exits 0, or prints what failed and exits 1.
"""

import json
import sys

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey


def main(bundle_path: str, key_path: str) -> int:
    with open(bundle_path, encoding="utf-8") as f:
        bundle = json.load(f)
    envelope = Envelope.from_dict(bundle["dsseEnvelope"])

    with open(key_path, "rb") as f:
        public_key = load_pem_public_key(f.read())
    crypto_key = SSlibKey.from_crypto(public_key)
    # The bundle's one signature carries `"keyid": ""` (SPEC §3); securesystemslib pairs
    # signatures and keys by keyid, so the key gets the same empty id.
    key = SSlibKey("", crypto_key.keytype, crypto_key.scheme, crypto_key.keyval)
    try:
        envelope.verify([key], 1)
    except Exception as e:  # noqa: BLE001 - the verifier's own error is the message
        print(f"securesystemslib: DSSE signature NOT verified: {e}")
        return 1
    print(f"securesystemslib: DSSE signature verified ({key.scheme})")

    if envelope.payload_type != "application/vnd.in-toto+json":
        print(f"payloadType is {envelope.payload_type}")
        return 1
    pb = json_format.Parse(envelope.payload, statement_pb2.Statement(), ignore_unknown_fields=False)
    statement = Statement.copy_from_pb(pb)
    try:
        statement.validate()
    except ValueError as e:
        print(f"in-toto-attestation: Statement NOT valid: {e}")
        return 1
    result = pb.predicate["verificationResult"]
    print(
        f"in-toto-attestation: Statement v1 valid, {len(pb.subject)} subject(s), "
        f"predicateType {pb.predicate_type}, verificationResult {result}"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: verify_dsse.py BUNDLE PUBKEY_PEM", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
