{{/* Names and labels of the umbrella chart's own objects (config, secrets, migration, NetworkPolicies). */}}
{{- define "voltedge.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: {{ .Values.global.partOf }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The pods of one component of this release, as the subcharts label them (app.kubernetes.io/name = subchart). */}}
{{- define "voltedge.podSelector" -}}
matchLabels:
  app.kubernetes.io/name: {{ .name }}
  app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "voltedge.image" -}}
{{- $img := .Values.global.image -}}
{{- if $img.digest -}}
{{ $img.repository }}@{{ $img.digest }}
{{- else -}}
{{ $img.repository }}:{{ $img.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* Exactly one source for the Secret: the chart (secrets.create), the External Secrets Operator, or one that exists. */}}
{{- define "voltedge.checkSecretSource" -}}
{{- if and .Values.secrets.create .Values.externalSecrets.enabled -}}
{{- fail "secrets.create and externalSecrets.enabled both write the Secret: choose one" -}}
{{- end -}}
{{- if and .Values.externalSecrets.enabled (not .Values.externalSecrets.secretStoreRef.name) -}}
{{- fail "externalSecrets.enabled needs externalSecrets.secretStoreRef.name" -}}
{{- end -}}
{{- if .Values.secrets.create -}}
{{- range list "DATABASE_URL" "REDIS_URL" -}}
{{- if not (index $.Values.secrets.values .) -}}
{{- fail (printf "secrets.create needs secrets.values.%s" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* One egress rule of a NetworkPolicy: a TCP port to the release pods named .pods (the in-cluster service), or to
.to (external peers; empty: any destination). */}}
{{- define "voltedge.np.egress" -}}
- ports: [{port: {{ .port }}, protocol: TCP}]
  {{- if .pods }}
  to:
    - podSelector:
        {{- include "voltedge.podSelector" (dict "name" .pods "root" .root) | nindent 8 }}
  {{- else if .to }}
  to:
    {{- toYaml .to | nindent 4 }}
  {{- end }}
{{- end -}}
