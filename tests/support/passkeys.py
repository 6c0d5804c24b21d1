"""A software authenticator for the server-side passkey tests: makes real WebAuthn
registration and assertion answers (ES256, "none" attestation) the way a browser relays
them, so the `webauthn` package verifies them exactly as it would a hardware key's."""

from __future__ import annotations

import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

UP, UV, AT = 0x01, 0x04, 0x40


def _b64(data: bytes) -> str:
    return bytes_to_base64url(data)


class SoftAuthenticator:
    def __init__(self, rp_id: str, origin: str) -> None:
        self.rp_id, self.origin = rp_id, origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: bytes, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": _b64(challenge), "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, challenge: bytes, *, uv: bool = True, origin: str | None = None, rp_id: str | None = None) -> str:
        flags = UP | AT | (UV if uv else 0)
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = hashlib.sha256((rp_id or self.rp_id).encode()).digest() + bytes([flags]) + struct.pack(">I", 0) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps({
            "id": _b64(self.credential_id), "rawId": _b64(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": _b64(self._client_data("webauthn.create", challenge, origin)),
                         "attestationObject": _b64(attestation)},
            "clientExtensionResults": {},
        })

    def get(self, challenge: bytes, *, uv: bool = True, origin: str | None = None, rp_id: str | None = None,
            count: int | None = None) -> str:
        self.sign_count = self.sign_count + 1 if count is None else count
        flags = UP | (UV if uv else 0)
        auth_data = hashlib.sha256((rp_id or self.rp_id).encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count)
        client_data = self._client_data("webauthn.get", challenge, origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": _b64(self.credential_id), "rawId": _b64(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": _b64(client_data), "authenticatorData": _b64(auth_data),
                         "signature": _b64(signature), "userHandle": _b64(b"gatehouse-admin")},
            "clientExtensionResults": {},
        })
