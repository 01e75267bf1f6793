#!/bin/sh
# Runs after the deploy and the rollback step, whatever they did: sends the deploy's outcome, from
# the summary in deploy-summaries/ENV.json, to the webhook whose URL is in CF_NOTIFY_URL_VARIABLE
# (a context variable: a secret, never in the config and never printed). Nothing here changes the
# job's result: this step always exits 0, and a webhook that fails is one line in the log.
# Inputs: CF_ENVIRONMENT, CF_BIN, CF_WORKSPACE, CF_NOTIFY (slack, json, or none: no message),
# CF_NOTIFY_ON (failure, rollback, success, comma-separated), CF_NOTIFY_URL_VARIABLE, CF_NOTIFY_KIND (deploy, rollback, promote).
set -u

environment="${CF_ENVIRONMENT:-}"
bin="${CF_BIN:-/tmp/circle-fargate/install/node_modules/.bin/circle-fargate}"
workspace="${CF_WORKSPACE:-/tmp/workspace}"
kind="${CF_NOTIFY:-}"
case "$kind" in '' | none) exit 0 ;; esac
case "$environment" in '' | -* | */* | .*) printf 'deploy notify: environment must be a name (got "%s"); no message sent\n' "$environment" && exit 0 ;; esac
if [ ! -x "$bin" ]; then
  printf 'deploy notify: circle-fargate is not installed at %s; no message sent\n' "$bin"
  exit 0
fi
"$bin" notify "$environment" --summary "$workspace/deploy-summaries/$environment.json" --record "$workspace/deploy-records/$environment.json" \
  --webhook "$kind" --on "${CF_NOTIFY_ON:-failure,rollback}" --kind "${CF_NOTIFY_KIND:-deploy}" --url-variable "${CF_NOTIFY_URL_VARIABLE:-CIRCLE_FARGATE_WEBHOOK_URL}" \
  || printf 'deploy notify: circle-fargate notify exited %s; no message sent, the deploy result stands\n' "$?"
exit 0
