#!/bin/sh
# Copies the root module's dependency lock file to /tmp/circle-fargate/terraform.lock.hcl, the
# file the plugin cache key is a checksum of; without a committed lock file, a fixed text stands
# in (init then writes one, and the plan saves it for the apply).
# Inputs: CF_LOCK_FILE.
set -eu

mkdir -p /tmp/circle-fargate
if [ -f "${CF_LOCK_FILE:-}" ]; then
  cp "$CF_LOCK_FILE" /tmp/circle-fargate/terraform.lock.hcl
else
  echo 'no lock file committed' > /tmp/circle-fargate/terraform.lock.hcl
  echo "note: ${CF_LOCK_FILE:-the lock file} is not committed: commit it, so that plans and the plugin cache are reproducible"
fi
