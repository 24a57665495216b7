#!/bin/sh
# make-certs.sh: regenerates the TEST-ONLY certificates and keys of this
# directory with the openssl command-line tool.  They are committed, so
# nothing runs this at build or test time; run it by hand (in this
# directory) only to change them, then commit the result.
#
# Every key here is public and must never protect anything real.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Fixed dates, independent of the day this runs: valid from 2000 to 2125.
start=20000101000000Z
end=21251231235959Z

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# `openssl ca` is the one tool of OpenSSL 3.0 that takes explicit dates;
# it wants a configuration and a small database.
cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
organizationName = optional
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_wrong_name]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong-name.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_client]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# sign NAME SUBJECT EXTENSIONS KEY CA_CERT CA_KEY [-selfsign]
sign() {
  : >"$work/index.txt"
  openssl rand -hex 16 >"$work/serial"
  openssl req -new -config "$work/ca.cnf" -key "$4" -subj "$2" \
    -out "$work/$1.csr"
  # shellcheck disable=SC2086
  openssl ca -batch -notext -config "$work/ca.cnf" -extensions "$3" \
    -startdate "$start" -enddate "$end" -cert "$5" -keyfile "$6" ${7-} \
    -in "$work/$1.csr" -out "$1.pem" 2>/dev/null
}

key ca-key.pem
sign ca "/O=omni-paperless tests/CN=omni-paperless Test CA" v3_ca \
  ca-key.pem "$work/none" ca-key.pem -selfsign
key other-ca-key.pem
sign other-ca "/O=omni-paperless tests/CN=Unrelated Test CA" v3_ca \
  other-ca-key.pem "$work/none" other-ca-key.pem -selfsign
key server-key.pem
sign server "/CN=127.0.0.1" v3_server server-key.pem ca.pem ca-key.pem
sign wrong-name "/CN=wrong-name.example" v3_wrong_name server-key.pem \
  ca.pem ca-key.pem
key client-key.pem
sign client "/CN=omni-paperless test client" v3_client client-key.pem \
  ca.pem ca-key.pem
sign other-client "/CN=unrelated test client" v3_client client-key.pem \
  other-ca.pem other-ca-key.pem

for f in ca other-ca server wrong-name client other-client; do
  openssl verify -CAfile ca.pem "$f.pem" >/dev/null 2>&1 && ok=ca || ok=-
  echo "$f.pem: $(openssl x509 -in "$f.pem" -noout -subject -enddate |
    tr '\n' ' ') (verifies with ca.pem: $ok)"
done
