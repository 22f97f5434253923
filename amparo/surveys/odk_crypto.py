"""The ODK encrypted-submission format, as ODK Collect writes it and ODK Central reads it.

Specification: https://getodk.github.io/xforms-spec/encryption (docs.getodk.org/encrypted-forms/). Read against
ODK Collect's `EncryptionUtils` (the writer) and ODK Central's `lib/util/crypto.js` (a reader); the tests decrypt
submissions made by real ODK Collect phones, byte for byte (`tests/data/README.md`).

- Each submission has its own random 256-bit AES key. It travels encrypted with the form's RSA public key,
  "RSA/NONE/OAEPWithSHA256AndMGF1Padding" as Collect asks Bouncy Castle for it: OAEP with SHA-256 for the label
  hash AND for MGF1 (Central's reader unpads exactly so, and decrypts real Collect data).
- The media files, one by one in the manifest's order, then the instance XML, are encrypted with
  "AES/CFB/PKCS5Padding": AES-256 in CFB mode with a full 128-bit feedback, and PKCS#7 padding to 16 bytes
  (unusual for CFB, but required by the spec). File n (counting from 0) uses the IV obtained by taking
  MD5(instanceID as UTF-8 || AES key) as a 16-byte seed and, for each file up to and including n, adding 1 (mod
  256) to the byte at index (counter mod 16).
- The signature (`base64EncryptedElementSignature`, optional in the spec, always written by Collect): MD5 over the
  lines "form id", "version" (if any), "base64EncryptedKey", "instanceID", then for each media file and last the XML
  file "<name without .enc>::<lowercase hex MD5 of the decrypted file>", each line ending in "\\n"; the 16-byte
  digest is encrypted with the same RSA-OAEP as the key. So only the private key's holder can check it, and it
  proves integrity (no bit altered, no file swapped), not authorship: anyone holding the public key could make an
  envelope.

Only the `cryptography` package does cryptography here; this module only arranges its primitives as the format
says. Pure functions, no Django models: the key services (`keys.py`) and the decryption of stored submissions
(`decryption.py`) use them, and so do the tests, whose `encrypt_submission` does exactly what Collect does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape as esc
from xml.sax.saxutils import quoteattr

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 47 keeps CFB among the "decrepit" modes; the format requires it
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.modes import CFB
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

AES_KEY_BYTES = 32
BLOCK_BYTES = 16
MIN_RSA_BITS = 2048
MAX_MANIFEST_BYTES = 64 * 1024
# Collect writes the manifest in this namespace; the spec's example uses "http://opendatakit.org/submissions" and
# Central reads either: we read elements by their local names, whatever the namespace.
COLLECT_MANIFEST_NAMESPACE = "http://www.opendatakit.org/xforms/encrypted"
OPENROSA_NAMESPACE = "http://openrosa.org/xforms"

_OAEP = OAEP(mgf=MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class EnvelopeError(ValueError):
    """The manifest is not an ODK encrypted-submission manifest (missing element, bad base64, bad file name)."""


class DecryptionError(ValueError):
    """The submission cannot be decrypted with this key, or it was altered (padding, signature, identity)."""


# --- Keys ----------------------------------------------------------------------------------------------------


def public_key_base64(public_key: rsa.RSAPublicKey) -> str:
    """The form's `public_key` setting: base64 of the DER SubjectPublicKeyInfo, one line, no PEM armour."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """An RSA public key from the XLSForm `public_key` value (base64 DER) or a PEM block; ValueError otherwise."""
    text = (text or "").strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            der = base64.b64decode("".join(text.split()), validate=True)
            key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise ValueError("not an RSA public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    if key.key_size < MIN_RSA_BITS:
        raise ValueError(f"an RSA key of at least {MIN_RSA_BITS} bits is required")
    return key


def fingerprint(public_key: rsa.RSAPublicKey | str) -> str:
    """SHA-256 (hex) of the DER SubjectPublicKeyInfo: the same key gives the same fingerprint however it is written."""
    key = load_public_key(public_key) if isinstance(public_key, str) else public_key
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def rsa_oaep_decrypt(private_key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    try:
        return private_key.decrypt(data, _OAEP)
    except ValueError as exc:
        raise DecryptionError("the key does not open this submission") from exc


def rsa_oaep_encrypt(public_key: rsa.RSAPublicKey, data: bytes) -> bytes:
    return public_key.encrypt(data, _OAEP)


# --- Files ---------------------------------------------------------------------------------------------------


def iv_sequence(instance_id: str, key: bytes, count: int) -> list[bytes]:
    """The IVs of files 0 .. count-1 of a submission (the spec's "Initialization Vector")."""
    seed = bytearray(hashlib.md5(instance_id.encode("utf-8") + key, usedforsecurity=False).digest())
    ivs = []
    for counter in range(count):
        index = counter % BLOCK_BYTES
        seed[index] = (seed[index] + 1) % 256
        ivs.append(bytes(seed))
    return ivs


def encrypt_file(key: bytes, iv: bytes, data: bytes) -> bytes:
    padder = padding.PKCS7(BLOCK_BYTES * 8).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), CFB(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def decrypt_file(key: bytes, iv: bytes, data: bytes) -> bytes:
    if not data or len(data) % BLOCK_BYTES:
        raise DecryptionError("an encrypted file's length is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(BLOCK_BYTES * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise DecryptionError("an encrypted file does not decrypt to valid padding") from exc


# --- The manifest --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """What the submission manifest (the XML part of an encrypted submission) says."""

    form_id: str
    version: str | None
    instance_id: str
    encrypted_key: str  # base64, exactly as received: it is part of the signed text
    xml_file: str
    media: tuple[str, ...] = ()
    signature: str | None = None

    @property
    def files(self) -> tuple[str, ...]:
        """Every encrypted file in the order of encryption (media first, then the XML file)."""
        return (*self.media, self.xml_file)


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def is_manifest(root: Element) -> bool:
    """An encrypted submission's XML part: root attribute encrypted="yes" (the spec), any namespace."""
    return (root.get("encrypted") or "").strip().lower() == "yes"


def parse_manifest_bytes(xml: bytes) -> Manifest:
    if len(xml) > MAX_MANIFEST_BYTES:
        raise EnvelopeError("the encrypted submission's manifest is too large")
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise EnvelopeError("the encrypted submission's manifest is not well-formed XML") from exc
    return parse_manifest(root)


def _filename(value: str) -> str:
    """A file name as a phone names it: no directory, no control character."""
    name = value.strip()
    if not name or "/" in name or "\\" in name or name in {".", ".."} or any(ord(c) < 32 for c in name):
        raise EnvelopeError("the manifest names a file badly")
    return name


def parse_manifest(root: Element) -> Manifest:
    if not is_manifest(root):
        raise EnvelopeError('the submission is not marked encrypted="yes"')
    form_id = (root.get("id") or "").strip()
    if not form_id:
        raise EnvelopeError("the manifest has no form id")
    version = root.get("version")
    children: dict[str, list[Element]] = {}
    for child in root:
        children.setdefault(_local(child.tag), []).append(child)

    def one_text(name: str, required: bool = True) -> str | None:
        found = children.get(name, [])
        if len(found) > 1:
            raise EnvelopeError(f"the manifest has more than one {name}")
        text = (found[0].text or "").strip() if found else ""
        if required and not text:
            raise EnvelopeError(f"the manifest has no {name}")
        return text or None

    encrypted_key = one_text("base64EncryptedKey") or ""
    xml_file = _filename(one_text("encryptedXmlFile") or "")
    signature = one_text("base64EncryptedElementSignature", required=False)
    instance_ids = [
        (element.text or "").strip()
        for meta in children.get("meta", [])
        for element in meta
        if _local(element.tag) == "instanceID"
    ]
    if len(instance_ids) != 1 or not instance_ids[0]:
        raise EnvelopeError("the manifest has no instanceID")
    media = []
    for element in children.get("media", []):
        files = [(file.text or "") for file in element if _local(file.tag) == "file"]
        if len(files) != 1:
            raise EnvelopeError("a media element of the manifest does not name exactly one file")
        media.append(_filename(files[0]))
    names = [*media, xml_file]
    if len(set(names)) != len(names):
        raise EnvelopeError("the manifest names a file twice")
    for value in (encrypted_key, signature):
        if value is not None:
            _b64(value)
    return Manifest(
        form_id=form_id,
        version=version,
        instance_id=instance_ids[0],
        encrypted_key=encrypted_key,
        xml_file=xml_file,
        media=tuple(media),
        signature=signature,
    )


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeError("the manifest holds invalid base64") from exc


def original_name(encrypted_name: str) -> str:
    """The file's name before encryption: Collect appends ".enc"."""
    return encrypted_name[: -len(".enc")] if encrypted_name.endswith(".enc") else encrypted_name


# --- The signature -------------------------------------------------------------------------------------------


def signature_text(manifest: Manifest, file_md5s: Sequence[tuple[str, str]]) -> bytes:
    """The text whose MD5 is signed. `file_md5s`: (encrypted file name, hex MD5 of its plaintext), in file order."""
    lines = [manifest.form_id]
    if manifest.version is not None:
        lines.append(manifest.version)
    lines += [manifest.encrypted_key, manifest.instance_id]
    lines += [f"{original_name(name)}::{md5}" for name, md5 in file_md5s]
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def signature_matches(private_key: rsa.RSAPrivateKey, manifest: Manifest, file_md5s: Sequence[tuple[str, str]]) -> bool:
    if manifest.signature is None:
        return False
    try:
        signed = rsa_oaep_decrypt(private_key, _b64(manifest.signature))
    except (DecryptionError, EnvelopeError):
        return False
    expected = hashlib.md5(signature_text(manifest, file_md5s), usedforsecurity=False).digest()
    return signed == expected


def _md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


# --- Whole submissions ---------------------------------------------------------------------------------------


@dataclass
class Decrypted:
    """A decrypted submission: the instance XML and the media under their original names (no ".enc")."""

    xml: bytes
    media: dict[str, bytes] = field(default_factory=dict)
    signature_checked: bool = False  # False only when the manifest carries no signature (the spec allows it)


def decrypt_submission_key(private_key: rsa.RSAPrivateKey, manifest: Manifest) -> bytes:
    key = rsa_oaep_decrypt(private_key, _b64(manifest.encrypted_key))
    if len(key) != AES_KEY_BYTES:
        raise DecryptionError("the submission's key is not an AES-256 key")
    return key


def decrypt_submission(private_key: rsa.RSAPrivateKey, manifest: Manifest, files: Mapping[str, bytes]) -> Decrypted:
    """Decrypt every file the manifest lists (`files` by their encrypted names) and check the signature if any.

    Raises DecryptionError when the key does not fit, a file is missing, padding or signature are wrong.
    """
    missing = [name for name in manifest.files if name not in files]
    if missing:
        raise DecryptionError(f"{len(missing)} encrypted file(s) of the submission were not received")
    key = decrypt_submission_key(private_key, manifest)
    ivs = iv_sequence(manifest.instance_id, key, len(manifest.files))
    plain = [decrypt_file(key, iv, files[name]) for name, iv in zip(manifest.files, ivs, strict=True)]
    if manifest.signature is not None:
        md5s = [(name, _md5_hex(data)) for name, data in zip(manifest.files, plain, strict=True)]
        if not signature_matches(private_key, manifest, md5s):
            raise DecryptionError("the submission's signature does not match its contents")
    media = {original_name(name): data for name, data in zip(manifest.media, plain, strict=False)}
    return Decrypted(xml=plain[-1], media=media, signature_checked=manifest.signature is not None)


@dataclass
class Encrypted:
    """What a phone sends for an encrypted form: the manifest as the XML part, and the encrypted files."""

    manifest_xml: bytes
    files: dict[str, bytes]  # encrypted name -> ciphertext, in the order of encryption
    aes_key: bytes


def encrypt_submission(
    public_key: rsa.RSAPublicKey,
    *,
    form_id: str,
    version: str | None,
    instance_id: str,
    instance_xml: bytes,
    media: Sequence[tuple[str, bytes]] = (),
    aes_key: bytes | None = None,
) -> Encrypted:
    """Exactly what ODK Collect does on saving a finalised instance of an encrypted form (for tests and tools)."""
    key = aes_key if aes_key is not None else os.urandom(AES_KEY_BYTES)
    encrypted_key = base64.b64encode(rsa_oaep_encrypt(public_key, key)).decode("ascii")
    names = [f"{name}.enc" for name, _data in media] + ["submission.xml.enc"]
    contents = [data for _name, data in media] + [instance_xml]
    ivs = iv_sequence(instance_id, key, len(names))
    files = {name: encrypt_file(key, iv, data) for name, iv, data in zip(names, ivs, contents, strict=True)}
    manifest = Manifest(
        form_id=form_id,
        version=version,
        instance_id=instance_id,
        encrypted_key=encrypted_key,
        xml_file=names[-1],
        media=tuple(names[:-1]),
    )
    digest = hashlib.md5(
        signature_text(manifest, [(n, _md5_hex(d)) for n, d in zip(names, contents, strict=True)]),
        usedforsecurity=False,
    ).digest()
    signature = base64.b64encode(rsa_oaep_encrypt(public_key, digest)).decode("ascii")
    return Encrypted(manifest_xml=_manifest_xml(manifest, signature), files=files, aes_key=key)


def _manifest_xml(manifest: Manifest, signature: str) -> bytes:
    """The manifest as Collect serialises it (its element order and namespaces)."""
    version = f" version={quoteattr(manifest.version)}" if manifest.version is not None else ""
    media = "".join(f"<media><file>{esc(name)}</file></media>\n" for name in manifest.media)
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
        f'<data xmlns="{COLLECT_MANIFEST_NAMESPACE}" id={quoteattr(manifest.form_id)}{version} encrypted="yes">'
        f"<base64EncryptedKey>{manifest.encrypted_key}</base64EncryptedKey>"
        f'<orx:meta xmlns:orx="{OPENROSA_NAMESPACE}"><orx:instanceID>{esc(manifest.instance_id)}</orx:instanceID>'
        f"</orx:meta>\n{media}"
        f"<encryptedXmlFile>{esc(manifest.xml_file)}</encryptedXmlFile>"
        f"<base64EncryptedElementSignature>{signature}</base64EncryptedElementSignature>"
        "</data>"
    ).encode()
