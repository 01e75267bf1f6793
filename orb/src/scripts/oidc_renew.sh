#!/bin/sh
# Keeps the OIDC token file setup_aws wrote fresh for the whole job. CircleCI's token expires
# one hour after it is issued ("exp: The expiration time. Its value is one hour after the time
# of issuance.", https://circleci.com/docs/guides/permissions-authentication/openid-connect-tokens/),
# and the AWS CLI, the SDKs and Terraform read web_identity_token_file again each time they
# assume the role anew; a long apply or rollout would otherwise lose AWS access mid-way. The
# job's agent mints a new token: `circleci run oidc get --claims '{"aud": ...}'`
# (https://circleci.com/docs/guides/permissions-authentication/oidc-tokens-with-custom-claims/),
# with the audience of the token it replaces. The token is never printed.
# Inputs: CF_RENEW_MARGIN (seconds before expiry, 900), CF_RENEW_RETRY (seconds, 30),
# CF_TOKEN_FILE ($HOME/.aws/circleci-oidc-token), CF_RENEW_ONCE (renew once if due, then stop).
set -eu

file="${CF_TOKEN_FILE:-$HOME/.aws/circleci-oidc-token}"
margin="${CF_RENEW_MARGIN:-900}"
retry="${CF_RENEW_RETRY:-30}"
case "$margin$retry" in *[!0-9]*) echo 'oidc_renew: margin and retry must be whole seconds' >&2 && exit 1 ;; esac
while :; do
  [ -s "$file" ] || { echo "oidc_renew: no token at $file: run setup_aws first" >&2 && exit 1; }
  # The token's claims: its second part, base64url without padding.
  payload=$(cut -d. -f2 < "$file" | tr -- '-_' '+/')
  while [ $((${#payload} % 4)) -ne 0 ]; do payload="$payload="; done
  claims=$(printf '%s' "$payload" | base64 -d 2> /dev/null || true)
  exp=$(printf '%s' "$claims" | sed -n 's/.*"exp"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p')
  aud=$(printf '%s' "$claims" | sed -n 's/.*"aud"[[:space:]]*:[[:space:]]*"\([^"\\]*\)".*/\1/p')
  wait=$((${exp:-0} - margin - $(date +%s)))
  if [ "$wait" -gt 0 ]; then
    [ -z "${CF_RENEW_ONCE:-}" ] || { echo "oidc_renew: the token is not due for renewal for ${wait}s" && exit 0; }
    sleep "$wait" && continue
  fi
  set -- run oidc get
  [ -z "$aud" ] || set -- "$@" --claims "{\"aud\":\"$aud\"}"
  if (umask 077 && circleci "$@" > "$file.new") && [ -s "$file.new" ]; then
    mv "$file.new" "$file"
    echo "oidc_renew: OIDC token renewed at $(date -u +%H:%M:%SZ)"
    [ -z "${CF_RENEW_ONCE:-}" ] || exit 0
  else
    rm -f "$file.new"
    echo "oidc_renew: circleci run oidc get failed; trying again in ${retry}s" >&2
    [ -z "${CF_RENEW_ONCE:-}" ] || exit 1
    sleep "$retry"
  fi
done
