#!/bin/sh
# mkpki.sh OUTDIR: generates liasse's TEST PKI into OUTDIR with the openssl
# command only.  Every key it writes is throw-away test material: nothing
# here may ever be trusted outside a test run.  File names: see certs/README.
set -eu

die() { echo "mkpki.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: mkpki.sh OUTDIR"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1" || die "cannot create $1"
PKI_DIR=$(cd "$1" && pwd)
export PKI_DIR
OPENSSL=${OPENSSL:-openssl}
CNF="$here/openssl.cnf"
cd "$PKI_DIR"
umask 077

# Validity windows, fixed so that tests may reason about dates.
CA_START=20150101000000Z
CA_END=20460101000000Z
EE_START=20240101000000Z
EE_END=20450101000000Z
OLD_START=20190101000000Z
OLD_END=20200101000000Z

newdb() {
	mkdir -p "db/$1/new"
	: > "db/$1/index.txt"
	echo "$2" > "db/$1/serial"
	echo 01 > "db/$1/crlnumber"
}

newkey() {
	"$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$1.key" 2>/dev/null
}

# csr NAME SUBJECT
csr() {
	newkey "$1"
	"$OPENSSL" req -new -config "$CNF" -utf8 -key "$1.key" -subj "$2" \
		-out "db/$1.csr"
}

# issue CA-SECTION NAME EXTENSIONS START END [-selfsign]
issue() {
	ca=$1 name=$2 ext=$3 start=$4 end=$5
	shift 5
	"$OPENSSL" ca -config "$CNF" -name "$ca" -batch -notext -utf8 \
		-extensions "$ext" -startdate "$start" -enddate "$end" \
		-in "db/$name.csr" -out "$name.pem" "$@" 2>/dev/null ||
		die "openssl ca failed for $name"
}

# p12 NAME FRIENDLY-NAME: PKCS#12 with the chain, password in signer.pass.
p12() {
	"$OPENSSL" pkcs12 -export -inkey "$1.key" -in "$1.pem" \
		-certfile "$3" -name "$2" -passout file:signer.pass -out "$1.p12"
}

rm -rf db trust
newdb root 1000
newdb inter 2000
newdb other 3000
echo 01 > db/tsa-serial
"$OPENSSL" rand -hex 16 > signer.pass
chmod 0600 signer.pass

csr root-ca "/C=FR/O=Liasse tests/CN=Liasse Test Root CA (TEST ONLY)"
issue root_ca root-ca ext_root "$CA_START" "$CA_END" -selfsign \
	-keyfile root-ca.key
csr inter-ca "/C=FR/O=Liasse, tests/OU=Autorité de test/CN=Liasse Test Signature CA (TEST ONLY)"
issue root_ca inter-ca ext_inter "$CA_START" "$CA_END"
cat inter-ca.pem root-ca.pem > chain.pem

ee() { # NAME SUBJECT EXTENSIONS [START END]
	csr "$1" "$2"
	issue inter_ca "$1" "$3" "${4:-$EE_START}" "${5:-$EE_END}"
}
ORG="/C=FR/O=Commune de Céret-sur-Test/OU=Mairie"
ee signer "$ORG/title=Maire/GN=Jeanne/SN=Martin/CN=Jeanne Martin" ext_signer
ee signer2 "$ORG/title=Adjoint/GN=Paul/SN=Durand/CN=Paul Durand" ext_signer
ee revoked "$ORG/CN=Rémi Révoqué" ext_signer
ee expired "$ORG/CN=Eric Expiré" ext_signer "$OLD_START" "$OLD_END"
ee nonrep "$ORG/CN=Nina Sans-Non-Répudiation" ext_signer_nonr
ee tsa "/C=FR/O=Liasse tests/CN=Liasse Test TSA (TEST ONLY)" ext_tsa
ee ocsp "/C=FR/O=Liasse tests/CN=Liasse Test OCSP responder (TEST ONLY)" ext_ocsp
cat tsa.pem chain.pem > tsa-chain.pem

# A signer chaining to a root nobody trusts.
csr other-ca "/C=FR/O=Nobody/CN=Untrusted Test Root (TEST ONLY)"
issue other_ca other-ca ext_root "$CA_START" "$CA_END" -selfsign \
	-keyfile other-ca.key
csr untrusted "$ORG/CN=Ulysse Untrusted"
issue other_ca untrusted ext_signer "$EE_START" "$EE_END"

"$OPENSSL" ca -config "$CNF" -name inter_ca -batch -revoke revoked.pem \
	-crl_reason keyCompromise 2>/dev/null || die "revoke failed"
"$OPENSSL" ca -config "$CNF" -name inter_ca -batch -gencrl \
	-out inter-ca.crl 2>/dev/null || die "gencrl failed"

for n in signer signer2 revoked expired nonrep; do
	p12 "$n" "$n (TEST ONLY)" chain.pem
done
p12 untrusted "untrusted (TEST ONLY)" other-ca.pem

sed "s|@PKI_DIR@|$PKI_DIR|" "$here/tsa.cnf.in" > tsa.cnf

mkdir trust
cp root-ca.pem inter-ca.pem inter-ca.crl trust/
chmod 0644 ./*.pem inter-ca.crl trust/* tsa.cnf
chmod 0755 trust
