# Independent of Corridor's code: computes a cosignature/v1 line from the
# C2SP tlog-cosignature text alone, with pyca/cryptography.
import base64, hashlib, struct
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization
name = "witness.example/w1"
sk = Ed25519PrivateKey.from_private_bytes(bytes([5]*32))
pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
kid = hashlib.sha256(name.encode() + b"\n" + b"\x04" + pk).digest()[:4]
print("vkey", f"{name}+{kid.hex()}+" + base64.b64encode(b"\x04" + pk).decode())
body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
ts = 1679315147
msg = b"cosignature/v1\n" + f"time {ts}\n".encode() + body.encode()
sig = sk.sign(msg)
print("line", f"\u2014 {name} " + base64.b64encode(kid + struct.pack(">Q", ts) + sig).decode())
