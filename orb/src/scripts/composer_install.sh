#!/bin/sh
# Installs the locked Composer dependencies into vendor/, using the restored download cache.
# Inputs: COMPOSER_CACHE_DIR (~/.cache/composer; a leading ~ is the home directory).
set -eu

[ -f composer.lock ] || {
  echo 'composer_install: no composer.lock in the project root: commit it, so that tests run what production runs' >&2
  exit 1
}
case "${COMPOSER_CACHE_DIR:-}" in
  "~"/*) COMPOSER_CACHE_DIR="$HOME/${COMPOSER_CACHE_DIR#"~/"}" ;;
  '') COMPOSER_CACHE_DIR="$HOME/.cache/composer" ;;
esac
export COMPOSER_CACHE_DIR
mkdir -p "$COMPOSER_CACHE_DIR"
composer install --no-interaction --no-progress --prefer-dist
