#!/usr/bin/env bash
# Checks deploy/: lints the Dockerfile (hadolint), lints the Helm chart (helm lint --strict) and
# renders it with its default values, with every option set (ci/all-options.yaml), with an
# existing claim and hand-made RBAC (ci/existing-claim.yaml) and with the README's install
# values (ci/install-example.yaml), validating every rendered manifest strictly (unknown
# fields are errors) against the Kubernetes schemas kubernetes-validate ships, offline.
# Tools come from scripts/setup.sh --test (target/tools). Takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=target/tools/bin
PY=target/tools/pyenv/bin
CHART=deploy/chart/hubfleet
# The Kubernetes version the manifests are validated against (the chart's kubeVersion allows
# 1.28 and later; kubectl from setup.sh is 1.33 too).
KUBE_VERSION=1.33.0

for tool in "$BIN/helm" "$PY/kubernetes-validate" "$PY/hadolint"; do
  [ -x "$tool" ] || { echo "$tool is missing: run scripts/setup.sh --test" >&2; exit 1; }
done

echo "hadolint deploy/Dockerfile"
"$PY/hadolint" --no-color --config deploy/hadolint.yaml deploy/Dockerfile

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for values in "" "$CHART"/ci/*.yaml; do
  name="${values:+$(basename "$values" .yaml)}"
  name="${name:-defaults}"
  args=()
  [ -n "$values" ] && args+=(--values "$values")
  echo "helm lint + template + kubernetes-validate: $name"
  "$BIN/helm" lint --strict --quiet "$CHART" "${args[@]}"
  "$BIN/helm" template hubfleet "$CHART" --namespace hubfleet "${args[@]}" > "$out/$name.yaml"
  "$PY/kubernetes-validate" --strict --quiet --kubernetes-version "$KUBE_VERSION" "$out/$name.yaml"
done
echo "deploy checks passed"
