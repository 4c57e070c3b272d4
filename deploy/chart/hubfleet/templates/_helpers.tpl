{{/* The chart's name, and the release's full name (at most 63 characters). */}}
{{- define "hubfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hubfleet.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "hubfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hubfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "hubfleet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hubfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "hubfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hubfleet.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The portal's URL as hub pods reach it: the value, else the Service's in-cluster address. */}}
{{- define "hubfleet.publicUrl" -}}
{{- if .Values.portal.publicUrl -}}
{{- .Values.portal.publicUrl -}}
{{- else -}}
{{- printf "http://%s.%s.svc:%d" (include "hubfleet.fullname" .) .Release.Namespace (int .Values.service.port) -}}
{{- end -}}
{{- end -}}

{{/*
The rules of the Role in each managed namespace: exactly default_access_checks() in
app/src/backend/cluster/discovery.rs (`hubfleet permissions` prints them; the test
server/tests/integration/packaging.rs compares the rendered Roles with it).
*/}}
{{- define "hubfleet.namespaceRules" -}}
# The watch stores (pods, events); the Job driver lists its Job's pods.
- apiGroups: [""]
  resources: [pods, events]
  verbs: [list, watch]
# The Helm Job's log is the operation log.
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
# Home and shared volumes: watched, read, created and grown by server-side apply.
- apiGroups: [""]
  resources: [persistentvolumeclaims]
  verbs: [get, list, watch, create, patch]
# Helm release Secrets (watched), the hub's token Secret (read, applied), each operation's
# values Secret (applied, removed when the operation ends).
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, patch, delete]
# The Helm Jobs (applied, read); the k3s helm-controller's previous Job is removed.
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, create, patch, delete]
# The Helm Jobs' account: ServiceAccount, Role and RoleBinding hubfleet-helm.
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [create, patch]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [create, patch]
# The Role hubfleet-helm allows Helm everything in the namespace: Kubernetes lets the portal
# write it only with escalate, and bind it only with bind, on that Role alone.
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles]
  resourceNames: [hubfleet-helm]
  verbs: [escalate, bind]
{{- if .Values.drivers.flux }}
# The Flux driver: HelmRelease (applied, read, deleted on uninstall), HelmRepository (applied).
- apiGroups: [helm.toolkit.fluxcd.io]
  resources: [helmreleases]
  verbs: [get, create, patch, delete]
- apiGroups: [source.toolkit.fluxcd.io]
  resources: [helmrepositories]
  verbs: [create, patch]
{{- end }}
{{- if .Values.drivers.k3s }}
# The k3s / RKE2 helm-controller driver: HelmChart (applied, read, deleted on uninstall).
- apiGroups: [helm.cattle.io]
  resources: [helmcharts]
  verbs: [get, create, patch, delete]
{{- end }}
{{- end -}}

{{/* The ClusterRole's rules: exactly cluster_access_checks() in discovery.rs. Read only. */}}
{{- define "hubfleet.clusterRules" -}}
# Nodes: the node watch store and discovery (fit checks, the Cluster page).
- apiGroups: [""]
  resources: [nodes]
  verbs: [list, watch]
# Volume usage: each node's kubelet stats summary through the API server's node proxy.
- apiGroups: [""]
  resources: [nodes/proxy]
  verbs: [get]
# Storage classes: volume forms and growing home volumes.
- apiGroups: [storage.k8s.io]
  resources: [storageclasses]
  verbs: [list]
{{- end -}}
