#!/bin/sh
# mkcerts.sh OUTDIR: throw-away TLS material for liasse-statesim's @ctes
# endpoint (and IMAPS/FTPS) and for the client that talks to it, made with
# the openssl command only (EC P-256, fast).  TEST MATERIAL ONLY.
#
#   ca.pem ca.key          "Statesim Test TLS CA": issues the two below
#   server.pem server.key  CN=localhost, SAN DNS:localhost, IP:127.0.0.1
#                          (serverAuth): --tls-cert / --tls-key
#   client.pem client.key  CN=liasse test transmitter (clientAuth): the
#                          certificate the transmitter presents; --tls-ca ca.pem
#   client-chain.pem       client.pem + ca.pem
#   rogue-ca.pem           another self-signed CA, and
#   rogue.pem rogue.key    a client certificate it issued (must be refused)
#   server.sha256          hex SHA-256 of server.pem's DER (for pinning)
#   server.pubkey.sha256   base64 SHA-256 of its SubjectPublicKeyInfo
#                          (curl --pinnedpubkey sha256//...)
set -eu
[ $# -eq 1 ] || { echo "usage: mkcerts.sh OUTDIR" >&2; exit 2; }
mkdir -p "$1"
cd "$1"
umask 077
O=${OPENSSL:-openssl}

key() { "$O" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

# ca NAME CN
ca() {
	key "$1"
	"$O" req -new -x509 -key "$1.key" -subj "/O=liasse tests/CN=$2" -days 7300 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign -out "$1.pem" 2>/dev/null
}

# leaf NAME CA CN EXTFILE-LINES
leaf() {
	key "$1"
	"$O" req -new -key "$1.key" -subj "/O=liasse tests/CN=$3" -out "$1.csr" 2>/dev/null
	printf '%s\n' "$4" > "$1.ext"
	"$O" x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
		-days 7300 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}

ca ca "Statesim Test TLS CA (TEST ONLY)"
leaf server ca localhost "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"
leaf client ca "liasse test transmitter" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
cat client.pem ca.pem > client-chain.pem
ca rogue-ca "Rogue Test CA (TEST ONLY)"
leaf rogue rogue-ca "rogue transmitter" "basicConstraints=CA:FALSE
extendedKeyUsage=clientAuth"

"$O" x509 -in server.pem -outform DER | "$O" dgst -sha256 -r | cut -d' ' -f1 > server.sha256
"$O" x509 -in server.pem -pubkey -noout | "$O" pkey -pubin -outform DER |
	"$O" dgst -sha256 -binary | "$O" base64 > server.pubkey.sha256
chmod 0644 ./*.pem server.sha256 server.pubkey.sha256
rm -f ./*.srl
