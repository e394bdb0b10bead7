#!/usr/bin/env bash
# Makes a local certificate authority (once) and a certificate for HOSTNAME signed by it, for wss:// in development.
# Usage: npm run certs -- laravel.test     (files go to certs/, or to $CERTS_DIR when set)
set -euo pipefail

host="${1:-localhost}"
out="${CERTS_DIR:-$(cd "$(dirname "$0")" && pwd)}"
mkdir -p "$out"
command -v openssl >/dev/null || { echo "openssl is needed: install it (apt install openssl, brew install openssl)" >&2; exit 1; }

if [ ! -f "$out/resound-ca.key" ] || [ ! -f "$out/resound-ca.crt" ]; then
  openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 825 \
    -keyout "$out/resound-ca.key" -out "$out/resound-ca.crt" -subj "/CN=Resound Local Development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "Created the local CA $out/resound-ca.crt (trust it once, see README)"
fi

extensions="$(mktemp)"
trap 'rm -f "$extensions" "$out/$host.csr"' EXIT
printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$host" > "$extensions"
openssl req -new -nodes -newkey rsa:2048 -sha256 -keyout "$out/$host.key" -out "$out/$host.csr" -subj "/CN=$host" 2>/dev/null
openssl x509 -req -sha256 -days 825 -in "$out/$host.csr" -CA "$out/resound-ca.crt" -CAkey "$out/resound-ca.key" \
  -CAcreateserial -out "$out/$host.crt" -extfile "$extensions" 2>/dev/null
echo "Created $out/$host.crt and $out/$host.key for $host"
