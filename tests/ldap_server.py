"""A real OpenLDAP server for the LDAP sign-in tests: Debian's slapd on a free port, with a throw-away
configuration (slapd.conf) and mdb database in a temporary folder, loaded by slapadd from an LDIF of people
and groups, and optionally StartTLS with a certificate made for the run."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live import free_port, stop, wait_for_port

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
BASE = "dc=example,dc=org"
ADMIN_DN, ADMIN_PASSWORD = f"cn=admin,{BASE}", "admin-secret"
SERVICE_DN, SERVICE_PASSWORD = f"cn=helpdesk-svc,ou=services,{BASE}", "svc-secret"
PEOPLE, GROUPS = f"ou=people,{BASE}", f"ou=groups,{BASE}"


def require_slapd() -> None:
    """Skip without slapd or python-ldap, except in CI where these tests must run (as the browser tests)."""
    missing = [str(path) for path in (SLAPD, SLAPADD) if not path.exists()]
    try:
        import ldap  # noqa: F401
    except ImportError:
        missing.append('python-ldap (pip install -e ".[ldap]")')
    if not missing:
        return
    reason = f"LDAP tests need {', '.join(missing)} (apt-get install slapd ldap-utils libldap2-dev libsasl2-dev)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; they must run in CI.", pytrace=False)
    pytest.skip(reason)


@dataclass
class Person:
    uid: str
    first_name: str
    last_name: str
    email: str
    password: str
    organisation: str = ""

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"


JEAN = Person("jdupont", "Jean", "Dupont", "jean.dupont@acme.example", "jean-pass")
MARIE = Person("mmartin", "Marie", "Martin", "marie.martin@acme.example", "marie-pass")
PAUL = Person("pdurand", "Paul", "Durand", "paul.durand@globex.example", "paul-pass", organisation="Globex Europe")
ZOE = Person("zlambert", "Zoé", "Lambert", "zoe.lambert@acme.example", "zoe-pass")
DAVID = Person("dleroy", "David", "Leroy", "david.leroy@acme.example", "david-pass")
PEOPLE_IN_DIRECTORY = (JEAN, MARIE, PAUL, ZOE, DAVID)
# group cn -> members
GROUP_MEMBERS = {
    "helpdesk-users": (JEAN, MARIE, PAUL, DAVID),
    "helpdesk-n2": (JEAN,),
    "helpdesk-managers": (MARIE,),
    "accounting": (ZOE,),
    "disabled": (DAVID,),
}


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


def directory_ldif() -> str:
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: helpdesk-svc\nuserPassword: {SERVICE_PASSWORD}",
    ]
    for person in PEOPLE_IN_DIRECTORY:
        entry = (f"dn: {person.dn}\nobjectClass: inetOrgPerson\nuid: {person.uid}\n"
                 f"cn: {person.first_name} {person.last_name}\ngivenName: {person.first_name}\n"
                 f"sn: {person.last_name}\nmail: {person.email}\nuserPassword: {person.password}")
        if person.organisation:
            entry += f"\no: {person.organisation}"
        entries.append(entry)
    for cn, members in GROUP_MEMBERS.items():
        # groupOfNames needs a member: the service account holds each group open when its people leave.
        entries.append(f"dn: {group_dn(cn)}\nobjectClass: groupOfNames\ncn: {cn}\nmember: {SERVICE_DN}\n"
                       + "\n".join(f"member: {member.dn}" for member in members))
    return "\n\n".join(entries) + "\n"


def make_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, server.pem, server.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def build(subject, issuer, public_key, signing_key, *, ca: bool):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                critical=True)
        else:
            import ipaddress

            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Helpdesk test CA")])
    ca_cert = build(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), ca_name, key.public_key(),
                 ca_key, ca=False)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return paths


class Slapd:
    """One slapd process and its folder; stop() ends it and removes everything."""

    def __init__(self, folder: Path, *, tls: bool = False) -> None:
        self.folder = folder
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.ca_file: Path | None = None
        data = folder / "data"
        data.mkdir(parents=True)
        conf = [
            *(f"include /etc/ldap/schema/{name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")),
            "modulepath /usr/lib/ldap", "moduleload back_mdb", f"pidfile {folder}/slapd.pid",
        ]
        if tls:
            self.ca_file, cert, key = make_certificate(folder)
            conf += [f"TLSCACertificateFile {self.ca_file}", f"TLSCertificateFile {cert}",
                     f"TLSCertificateKeyFile {key}"]
        conf += ["database mdb", "maxsize 10485760", f'suffix "{BASE}"', f'rootdn "{ADMIN_DN}"',
                 f"rootpw {ADMIN_PASSWORD}", f"directory {data}"]
        self.conf = folder / "slapd.conf"
        self.conf.write_text("\n".join(conf) + "\n")
        (folder / "directory.ldif").write_text(directory_ldif())
        subprocess.run([SLAPADD, "-f", self.conf, "-l", folder / "directory.ldif"], check=True, capture_output=True)
        # -d keeps slapd in the foreground, a child of this process that stop() can end.
        self.process = subprocess.Popen([SLAPD, "-f", self.conf, "-h", self.uri + "/", "-d", "0"],
                                        stdout=subprocess.DEVNULL, stderr=(folder / "slapd.log").open("w"))
        try:
            wait_for_port(self.port, timeout=15)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        stop(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)

    def admin(self):
        """A python-ldap connection bound as the directory's administrator, to change the directory."""
        import ldap

        connection = ldap.initialize(self.uri)
        connection.simple_bind_s(ADMIN_DN, ADMIN_PASSWORD)
        return connection

    def remove_from_group(self, person: Person, cn: str) -> None:
        import ldap

        connection = self.admin()
        connection.modify_s(group_dn(cn), [(ldap.MOD_DELETE, "member", [person.dn.encode()])])
        connection.unbind_s()

    def add_to_group(self, person: Person, cn: str) -> None:
        import ldap

        connection = self.admin()
        connection.modify_s(group_dn(cn), [(ldap.MOD_ADD, "member", [person.dn.encode()])])
        connection.unbind_s()

    def delete(self, person: Person) -> None:
        connection = self.admin()
        for cn, members in GROUP_MEMBERS.items():
            if person in members:
                self.remove_from_group(person, cn)
        connection.delete_s(person.dn)
        connection.unbind_s()


def ldap_settings(settings, server: Slapd) -> None:
    """The helpdesk configured for this directory, as docs/sso.md tells an administrator to."""
    settings.HELPDESK_LDAP_SERVER_URI = server.uri
    settings.HELPDESK_LDAP_START_TLS = False
    settings.HELPDESK_LDAP_CA_CERT_FILE = ""
    settings.HELPDESK_LDAP_BIND_DN = SERVICE_DN
    settings.HELPDESK_LDAP_BIND_PASSWORD = SERVICE_PASSWORD
    settings.HELPDESK_LDAP_USER_SEARCH_BASE = PEOPLE
    settings.HELPDESK_LDAP_USER_FILTER = "(|(uid=%(user)s)(mail=%(user)s))"
    settings.HELPDESK_LDAP_USERNAME_ATTRIBUTE = "uid"
    settings.HELPDESK_LDAP_GROUP_SEARCH_BASE = GROUPS
    settings.HELPDESK_LDAP_GROUP_TYPE = "groupOfNames"
    settings.HELPDESK_LDAP_DENY_GROUP = group_dn("disabled")
    settings.HELPDESK_LDAP_TIMEOUT = 5
    settings.HELPDESK_SSO_ROLE_MAP = {group_dn("helpdesk-users"): "requester", "helpdesk-n2": "N2",
                                      "helpdesk-managers": "manager"}
    settings.HELPDESK_SSO_DEFAULT_ROLE = ""
    settings.HELPDESK_SSO_ORGANISATION_MAP = {"acme.example": "Acme"}
    settings.HELPDESK_SSO_ORGANISATION_ATTRIBUTE = "o"
    settings.HELPDESK_SSO_CONTACT = "le service informatique (poste 1234)"
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.ldap.DirectoryLDAPBackend",
                                        "accounts.backends.LocalBackend"]
