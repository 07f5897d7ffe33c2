#!/usr/bin/env bash
# Create the Secrets the single-node overlay references, with fresh random values, in the
# namespace zhdj. Run once before the first release; existing Secrets are left alone (delete
# one to regenerate it). Needs kubectl and openssl. Nothing it makes is written to disk.
#
#   deploy/k8s/overlays/single-node/create-secrets.sh [KUBECTL_ARGS...]
set -euo pipefail
kubectl=(kubectl "$@" -n zhdj)
"${kubectl[@]}" get namespace zhdj >/dev/null 2>&1 || kubectl "$@" create namespace zhdj

rand() { openssl rand -hex 32; }  # hex: safe inside the postgresql+asyncpg:// and redis:// URLs
exists() { "${kubectl[@]}" get secret "$1" >/dev/null 2>&1; }
create() {  # create NAME ARGS...: kubectl create secret generic, unless it exists
  local name=$1; shift
  if exists "$name"; then echo "kept    $name"; return; fi
  "${kubectl[@]}" create secret "$@" "$name" >/dev/null
  echo "created $name"
}

if ! exists zhdj-gateway-secrets; then
  key=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null)
  create zhdj-gateway-secrets generic --from-literal=signing-key.pem="$key" \
    --from-literal=api-key-pepper="$(rand)" --from-literal=admin-password="$(rand)"
  echo "        the administrator's password: kubectl -n zhdj get secret zhdj-gateway-secrets" \
       "-o jsonpath='{.data.admin-password}' | base64 -d"
fi
create zhdj-service-clients generic --from-literal=registry="$(rand)" \
  --from-literal=activity="$(rand)" --from-literal=service-requests="$(rand)" \
  --from-literal=assessment="$(rand)"
create zhdj-redis generic --from-literal=password="$(rand)"
for part in gateway registry activity service-requests assessment; do
  create "zhdj-$part-db" generic --type=kubernetes.io/basic-auth \
    --from-literal=username="${part//-/_}" --from-literal=password="$(rand)"
done
echo "TLS: kubectl -n zhdj create secret tls zhdj-gateway-tls --cert=CERT.pem --key=KEY.pem"
