"""Test certificates made in-process with `cryptography`, so the TLS tests need no `openssl`
binary: two CAs (one signs the server and client certificates, the other signs nothing), a
server certificate for 127.0.0.1/localhost, a client certificate for mutual TLS and the client
key once more under a passphrase."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_FOR = datetime.timedelta(days=2)


@dataclass(frozen=True)
class Pki:
    directory: Path
    ca: Path  # the CA that signed server.pem and client.pem
    other_ca: Path  # a CA that signed nothing here
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    client_key_encrypted: Path  # client_key under the passphrase given to make_pki


@dataclass(frozen=True)
class _Issuer:
    name: x509.Name
    key: ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    # Backdated a minute: a certificate valid from "now" can be refused by a peer whose clock
    # reads a second earlier.
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey, passphrase: str | None = None) -> None:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )


def _write_cert(path: Path, certificate: x509.Certificate) -> None:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _make_ca(directory: Path, name: str) -> _Issuer:
    key = _key()
    subject = _name(f"evsim test {name}")
    certificate = (
        _builder(subject, subject, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write_key(directory / f"{name}.key", key)
    _write_cert(directory / f"{name}.pem", certificate)
    return _Issuer(subject, key)


def _make_leaf(
    directory: Path, name: str, usage: x509.ObjectIdentifier, issuer: _Issuer
) -> ec.EllipticCurvePrivateKey:
    key = _key()
    certificate = (
        _builder(_name(name), issuer.name, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .sign(issuer.key, hashes.SHA256())
    )
    _write_key(directory / f"{name}.key", key)
    _write_cert(directory / f"{name}.pem", certificate)
    return key


def make_pki(directory: Path, passphrase: str) -> Pki:
    ca = _make_ca(directory, "ca")
    _make_ca(directory, "other_ca")
    _make_leaf(directory, "server", ExtendedKeyUsageOID.SERVER_AUTH, ca)
    client_key = _make_leaf(directory, "client", ExtendedKeyUsageOID.CLIENT_AUTH, ca)
    _write_key(directory / "client_encrypted.key", client_key, passphrase)
    return Pki(
        directory,
        ca=directory / "ca.pem",
        other_ca=directory / "other_ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
        client_key_encrypted=directory / "client_encrypted.key",
    )
