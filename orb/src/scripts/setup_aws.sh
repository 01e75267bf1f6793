#!/bin/sh
# Lets the AWS CLI, the SDKs and Terraform act as CF_ROLE_ARN through CircleCI's OIDC token:
# writes the token to a private file and a default profile that assumes the role with it.
# No long-lived keys. Inputs: CF_ROLE_ARN, CF_REGION, CIRCLE_OIDC_TOKEN_V2, CF_SESSION_DURATION (3600).
set -eu

fail() { printf 'setup_aws: %s\n' "$1" >&2 && exit 1; }

role="${CF_ROLE_ARN:-}"
region="${CF_REGION:-}"
duration="${CF_SESSION_DURATION:-3600}"
newline='
'
case "$role" in
  *"$newline"* | *' '*) fail "role_arn holds white space" ;;
  arn:aws*:iam::[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]:role/?*) ;;
  *) fail "role_arn is not an IAM role ARN (got \"$role\"; expected arn:aws:iam::123456789012:role/NAME)" ;;
esac
case "$region" in *[!a-z0-9-]* | '') fail "region is not an AWS region (got \"$region\"; expected such as ap-northeast-1)" ;; esac
case "$duration" in '' | *[!0-9]*) fail "session_duration must be a number of seconds" ;; esac
[ -n "${CIRCLE_OIDC_TOKEN_V2:-}" ] || fail "no OIDC token (CIRCLE_OIDC_TOKEN_V2): CircleCI issues one only to jobs that use a context"

aws_dir="$HOME/.aws"
mkdir -p "$aws_dir" && chmod 700 "$aws_dir"
token_file="$aws_dir/circleci-oidc-token"
(umask 077 && printf '%s' "$CIRCLE_OIDC_TOKEN_V2" > "$token_file")
session=$(printf 'circleci-%s-%s' "${CIRCLE_PROJECT_REPONAME:-project}" "${CIRCLE_BUILD_NUM:-0}" | tr -c 'A-Za-z0-9+=,.@_-' '-' | cut -c1-64)
(umask 077 && printf '%s\n' '[default]' "role_arn = $role" "web_identity_token_file = $token_file" \
  "role_session_name = $session" "duration_seconds = $duration" "region = $region" > "$aws_dir/config")
echo "AWS: assuming $role in $region through CircleCI OIDC (profile default)"
