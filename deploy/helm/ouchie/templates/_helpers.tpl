{{/* The chart's name, or nameOverride. */}}
{{- define "ouchie.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object names: the release name, with the chart's name appended unless
it already holds it (release "ouchie" gives "ouchie"). */}}
{{- define "ouchie.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "ouchie.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "ouchie.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ouchie.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ouchie.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ouchie.labels" -}}
{{ include "ouchie.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The Secret holding the admin token. */}}
{{- define "ouchie.adminSecret" -}}
{{- default (printf "%s-admin" (include "ouchie.fullname" .)) .Values.admin.existingSecret -}}
{{- end -}}

{{/* GOMEMLIMIT: goMemLimit, else 90 % of limits.memory in MiB, so the
garbage collector works harder before the kernel kills the container. */}}
{{- define "ouchie.goMemLimit" -}}
{{- $mem := toString (dig "limits" "memory" "" .Values.resources) -}}
{{- if .Values.goMemLimit -}}
{{- .Values.goMemLimit -}}
{{- else if hasSuffix "Mi" $mem -}}
{{- div (mul (trimSuffix "Mi" $mem | int) 90) 100 }}MiB
{{- else if hasSuffix "Gi" $mem -}}
{{- div (mul (trimSuffix "Gi" $mem | int) 1024 90) 100 }}MiB
{{- else if $mem -}}
{{- fail (printf "resources.limits.memory %q: give it in Mi or Gi, or set goMemLimit (e.g. 100MiB)" $mem) -}}
{{- end -}}
{{- end -}}
