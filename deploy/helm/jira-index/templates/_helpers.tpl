{{/* The chart's name. */}}
{{- define "jira-index.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: the prefix of every object. */}}
{{- define "jira-index.fullname" -}}
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

{{- define "jira-index.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "jira-index.labels" -}}
app.kubernetes.io/name: {{ include "jira-index.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "jira-index.versionLabels" . }}
{{- end -}}

{{/* The labels that are not selectors (pod templates add them to the selector's). */}}
{{- define "jira-index.versionLabels" -}}
helm.sh/chart: {{ include "jira-index.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one role: include with (dict "root" $ "role" "search"). */}}
{{- define "jira-index.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jira-index.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "jira-index.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The secrets, by environment variable, from the existing Secret. */}}
{{- define "jira-index.env" -}}
- name: JIRA_API_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.keys.jiraApiToken }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.keys.postgresPassword }}
{{- if .Values.serve.webhooks }}
- name: JIRA_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.keys.webhookSecret }}
{{- end }}
{{- if .Values.qdrant.apiKey }}
- name: QDRANT_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.keys.qdrantApiKey }}
{{- end }}
- name: JIRA_INDEX_CONFIG
  value: /etc/jira-index/jira-index.toml
- name: JIRA_INDEX_CACHE
  value: /var/cache/jira-index
- name: HOME
  value: /var/lib/jira-index
{{- end -}}

{{/* Mounts of a jira-index container. */}}
{{- define "jira-index.volumeMounts" -}}
- name: config
  mountPath: /etc/jira-index
  readOnly: true
- name: model-cache
  mountPath: /var/cache/jira-index
- name: data
  mountPath: /var/lib/jira-index
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Volumes of a jira-index pod: the config, and emptyDirs for the model cache (kept
     across container restarts), the scratch data directory and /tmp. */}}
{{- define "jira-index.volumes" -}}
- name: config
  configMap:
    name: {{ include "jira-index.fullname" . }}
- name: model-cache
  emptyDir:
    sizeLimit: {{ .Values.embedding.cacheSizeLimit }}
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- end -}}
