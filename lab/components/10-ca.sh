#!/usr/bin/env bash
# Lab CA and the server certificates signed by it (lab/run/ca). Clients verify strictly against
# ca.crt, so every server certificate carries the names clients use, IP:127.0.0.1 included (the samba
# certificate also IP:127.0.0.2, ad02's address: both lab domain controllers present it).
# up: create what is missing or no longer valid; down: nothing (the CA outlives the servers).
source "$(dirname "$0")/../lib.sh"
CA_DIR="$LAB_RUN/ca"
LAB_REALM_DNS="lab.jichitai.test"
# server name -> common name, subjectAltName
declare -A SERVER_CN=([samba]="ad01.$LAB_REALM_DNS" [transfer]="xfer.$LAB_REALM_DNS")
declare -A SERVER_SANS=(
  [samba]="IP:127.0.0.1,IP:127.0.0.2,DNS:localhost,DNS:ad01.$LAB_REALM_DNS,DNS:ad02.$LAB_REALM_DNS,DNS:$LAB_REALM_DNS"
  [transfer]="IP:127.0.0.1,DNS:localhost,DNS:xfer.$LAB_REALM_DNS"
)

ca_valid() {
  [[ -s "$CA_DIR/ca.crt" && -s "$CA_DIR/ca.key" ]] &&
    openssl x509 -in "$CA_DIR/ca.crt" -noout -checkend 86400 >/dev/null 2>&1
}

# server_valid NAME : the certificate verifies against the CA, is not about to expire, has the SANs
server_valid() {
  local name="$1" crt="$CA_DIR/$1.crt" sans
  [[ -s "$crt" && -s "$CA_DIR/$name.key" ]] || return 1
  openssl verify -CAfile "$CA_DIR/ca.crt" "$crt" >/dev/null 2>&1 || return 1
  openssl x509 -in "$crt" -noout -checkend 86400 >/dev/null 2>&1 || return 1
  sans="$(openssl x509 -in "$crt" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ')"
  [[ "$(sans_canonical "$sans")" == "$(sans_canonical "${SERVER_SANS[$name]}")" ]]
}

# openssl prints "IP Address:127.0.0.1, DNS:x"; compare as sorted type:value lists
sans_canonical() { tr ',' '\n' <<<"${1//IPAddress/IP}" | sort | tr '\n' ','; }

make_ca() {
  lab_log "creating the lab CA"
  rm -f "$CA_DIR"/*
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CA_DIR/ca.key" 2>/dev/null)
  openssl req -x509 -new -key "$CA_DIR/ca.key" -sha256 -days 3650 -out "$CA_DIR/ca.crt" \
    -subj "/O=jichitai-ops lab/CN=jichitai-ops lab CA (lab only)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

make_server() {
  local name="$1" cn="${SERVER_CN[$1]}"
  lab_log "issuing the $name certificate (${SERVER_SANS[$name]})"
  (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$CA_DIR/$name.key" 2>/dev/null)
  openssl req -new -key "$CA_DIR/$name.key" -subj "/O=jichitai-ops lab/CN=$cn" -out "$CA_DIR/$name.csr" 2>/dev/null
  openssl x509 -req -in "$CA_DIR/$name.csr" -CA "$CA_DIR/ca.crt" -CAkey "$CA_DIR/ca.key" -CAcreateserial \
    -sha256 -days 825 -out "$CA_DIR/$name.crt" -extfile <(printf '%s\n' \
      "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=${SERVER_SANS[$name]}") 2>/dev/null
  rm -f "$CA_DIR/$name.csr"
}

up() {
  mkdir -p "$CA_DIR"; chmod 0755 "$CA_DIR"
  ca_valid || make_ca
  local name
  for name in "${!SERVER_SANS[@]}"; do server_valid "$name" || make_server "$name"; done
  chmod 0600 "$CA_DIR"/*.key
  chmod 0644 "$CA_DIR"/*.crt
}

status() {
  local name ok=0
  ca_valid || { lab_log "CA missing or expiring"; ok=1; }
  for name in "${!SERVER_SANS[@]}"; do
    server_valid "$name" || { lab_log "$name certificate missing or invalid"; ok=1; }
  done
  [[ $ok -eq 0 ]] && lab_log "CA ok ($CA_DIR/ca.crt)"
  return $ok
}

case "${1:-}" in
  up) up ;;
  down) : ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
