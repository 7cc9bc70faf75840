"""A SAML 2.0 identity provider made in the test: a fresh RSA key and certificate, and
Responses whose Assertion is signed with python3-saml's own signing (xmlsec), exactly as
an IdP would send them to the assertion consumer service."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import uuid
import zlib
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from onelogin.saml2.utils import OneLogin_Saml2_Utils

IDP_ENTITY_ID = "https://idp.example.test/saml"
IDP_SSO_URL = "https://idp.example.test/saml/sso"
EMAIL = "urn:oid:0.9.2342.19200300.100.1.3"
NAME = "urn:oid:2.16.840.1.113730.3.1.241"  # displayName
VERIFIED = "email_verified"
ATTRIBUTE_MAPPING = {
    "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
    "email": [EMAIL],
    "email_verified": [VERIFIED],
    "name": [NAME],
}


def make_keys(common_name: str = "idp.example.test") -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@functools.cache
def idp_keys() -> tuple[str, str]:
    return make_keys()


def request_id_from_redirect(location: str) -> str:
    """The ID of the AuthnRequest the SP sent in a HTTP-Redirect binding URL."""
    saml_request = parse_qs(urlparse(location).query)["SAMLRequest"][0]
    xml = zlib.decompress(base64.b64decode(saml_request), -15).decode()
    start = xml.index(' ID="') + 5
    return xml[start : xml.index('"', start)]


def _instant(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_response(
    *,
    acs_url: str,
    audience: str,
    in_response_to: str,
    subject: str,
    email: str,
    name: str,
    email_verified: bool,
    keys: tuple[str, str] | None = None,
) -> str:
    """A base64 SAMLResponse whose Assertion is signed with ``keys`` (the IdP's by default)."""
    key_pem, cert_pem = keys or idp_keys()
    now = dt.datetime.now(dt.timezone.utc)
    later = now + dt.timedelta(minutes=5)
    assertion_id = "_" + uuid.uuid4().hex
    attrs = {
        "urn:oasis:names:tc:SAML:attribute:subject-id": subject,
        EMAIL: email,
        NAME: name,
        VERIFIED: "true" if email_verified else "false",
    }
    attribute_xml = "".join(
        f'<saml:Attribute Name="{k}"><saml:AttributeValue>{v}</saml:AttributeValue></saml:Attribute>'
        for k, v in attrs.items()
    )
    assertion = (
        f'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{assertion_id}" '
        f'Version="2.0" IssueInstant="{_instant(now)}">'
        f"<saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>"
        f"<saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\">{subject}</saml:NameID>"
        f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{_instant(later)}" Recipient="{acs_url}" '
        f'InResponseTo="{in_response_to}"/></saml:SubjectConfirmation></saml:Subject>'
        f'<saml:Conditions NotBefore="{_instant(now - dt.timedelta(minutes=1))}" NotOnOrAfter="{_instant(later)}">'
        f"<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>"
        f"</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="{assertion_id}">'
        f"<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
        f"</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        f"<saml:AttributeStatement>{attribute_xml}</saml:AttributeStatement>"
        f"</saml:Assertion>"
    )
    signed = OneLogin_Saml2_Utils.add_sign(assertion, key_pem, cert_pem)
    if isinstance(signed, bytes):
        signed = signed.decode()
    signed = signed.replace('<?xml version="1.0"?>', "").strip()
    response = (
        f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" Version="2.0" '
        f'IssueInstant="{_instant(now)}" Destination="{acs_url}" InResponseTo="{in_response_to}">'
        f"<saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>"
        f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f"{signed}</samlp:Response>"
    )
    return base64.b64encode(response.encode()).decode()
