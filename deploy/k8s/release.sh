#!/usr/bin/env bash
# Roll out one release without Argo CD: migrations first, then the Deployments.
#
#   deploy/k8s/release.sh OVERLAY [KUBECTL_ARGS...]     e.g. deploy/k8s/release.sh overlays/single-node
#
# 1. apply everything except the migration Jobs and the parts' Deployments (namespace, config,
#    secrets references, network policies, PostgreSQL, Redis, Services, HPAs, PDBs, Ingress);
# 2. wait for PostgreSQL, delete the previous release's migration Jobs (a Job's pod template is
#    immutable) and run this release's, waiting until each has completed;
# 3. apply the Deployments and wait for their rollouts.
# A failed migration stops here: the old replicas keep serving (migrations are additive, see
# docs/decisions/0004-migrations.md).
set -euo pipefail
overlay=${1:?usage: release.sh OVERLAY [KUBECTL_ARGS...]}
shift
cd "$(dirname "$0")"
kubectl=(kubectl "$@")
rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
"${kubectl[@]}" kustomize "$overlay" >"$rendered"

"${kubectl[@]}" apply -f "$rendered" -l '!zhdj.io/phase'
"${kubectl[@]}" -n zhdj wait --for=condition=Ready cluster.postgresql.cnpg.io/zhdj-pg --timeout=15m

"${kubectl[@]}" -n zhdj delete job -l zhdj.io/phase=migrate --ignore-not-found --wait=true
"${kubectl[@]}" apply -f "$rendered" -l zhdj.io/phase=migrate
"${kubectl[@]}" -n zhdj wait --for=condition=Complete job -l zhdj.io/phase=migrate --timeout=15m

"${kubectl[@]}" apply -f "$rendered" -l zhdj.io/phase=rollout
for d in gateway registry activity service-requests assessment; do
  "${kubectl[@]}" -n zhdj rollout status "deployment/zhdj-$d" --timeout=10m
done
