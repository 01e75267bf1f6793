/**
 * The base images the example's Dockerfile starts from, made on this machine: no image can be
 * pulled here. Stand-ins, listed in the e2e's report:
 *
 * - `php:8.3-fpm-bookworm`: a Debian 12 root file system made by debootstrap from Debian's
 *   packages (the mirror this machine's apt uses), with Debian's PHP 8.2 (php8.2-fpm, php8.2-cli)
 *   in place of the official image's PHP 8.3 built from source. The build container has no
 *   network, so the packages the Dockerfile's `apt-get install` asks for (and the PHP extensions
 *   `docker-php-ext-install` adds) are downloaded into the image's apt archive beforehand, with
 *   the package lists: `apt-get update` is a stand-in that says so, `apt-get install` is Debian's
 *   real apt installing from that archive, and `docker-php-ext-install NAME` installs Debian's
 *   php8.2-NAME package with dpkg.
 * - `composer:2`: an image holding only /usr/bin/composer, the Composer stand-in
 *   (standins/composer.php: Packagist cannot be reached) for the commands the Dockerfile runs.
 *
 * The root file system is made once and kept as a tarball in the cache directory (about a
 * minute of debootstrap and downloads the first time); each run imports it into its own Docker
 * data root with `docker import`, which takes seconds.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Debian packages the example's Dockerfile installs (apt-get) or compiles (docker-php-ext-install). */
const DOCKERFILE_PACKAGES = ['nginx', 'supervisor', 'postfix', 'php8.2-mysql', 'php8.2-opcache'];
const BASE_PACKAGES = ['php8.2-fpm', 'php8.2-cli'];

const APT_GET = `#!/bin/sh
# e2e stand-in: this image is built with no network. The package lists and the packages the
# Dockerfile installs were put in the image when it was made; everything but "update" is apt-get.
if [ "\${1:-}" = update ]; then
  echo 'apt-get update: offline e2e base image: using the package lists baked into the image'
  exit 0
fi
exec /usr/bin/apt-get -o Acquire::Languages=none "$@"
`;

const DOCKER_PHP_EXT_INSTALL = `#!/bin/sh
# e2e stand-in for the official image's docker-php-ext-install: installs Debian's php8.2-NAME
# from the image's apt archive (the official image compiles the extension from PHP's source).
set -eu
for ext in "$@"; do
  case "$ext" in
    pdo_mysql) package=php8.2-mysql ;;
    *) package="php8.2-$ext" ;;
  esac
  if dpkg -s "$package" > /dev/null 2>&1; then
    echo "docker-php-ext-install (e2e stand-in): $package is in the image already"
  else
    dpkg -i /var/cache/apt/archives/"$package"_*.deb
  fi
done
`;

/** The Composer stand-in (test/e2e/standins/composer.php), for the image and the phpunit job. */
export const COMPOSER_STANDIN = fileURLToPath(new URL('standins/composer.php', import.meta.url));

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** The Debian mirror this machine's apt uses (its deb822 or one-line sources). */
function debianMirror(): string {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'].filter((file) => existsSync(file));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822?.[1] !== undefined) return deb822[1];
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (line?.[1] !== undefined) return line[1];
  }
  throw new Error('e2e: no Debian mirror found in /etc/apt (debootstrap needs one to make the base image)');
}

/** Makes (or finds in `cacheDir`) the root file system tarball of the php stand-in image. */
export function phpRootfs(cacheDir: string, log: (line: string) => void): string {
  const recipe = createHash('sha256').update(JSON.stringify([BASE_PACKAGES, DOCKERFILE_PACKAGES, APT_GET, DOCKER_PHP_EXT_INSTALL])).digest('hex').slice(0, 12);
  const tarball = path.join(cacheDir, `php-fpm-bookworm-${recipe}.tar`);
  if (existsSync(tarball)) return tarball;
  mkdirSync(cacheDir, { recursive: true });
  const root = path.join(cacheDir, `rootfs-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  const mirror = debianMirror();
  log(`making the base image's root file system with debootstrap (once; cached in ${cacheDir})`);
  try {
    run('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, 'bookworm', root, mirror]);
    // The packages the Dockerfile installs, with what they depend on, into the image's apt archive.
    writeFileSync(path.join(root, 'etc/resolv.conf'), readFileSync('/etc/resolv.conf'));
    run('chroot', [root, 'apt-get', 'clean']);
    run('chroot', [root, 'apt-get', 'install', '--download-only', '-y', '-qq', '--no-install-recommends', ...DOCKERFILE_PACKAGES]);
    rmSync(path.join(root, 'etc/resolv.conf'), { force: true });
    for (const dir of ['usr/share/doc', 'usr/share/man', 'usr/share/locale', 'usr/share/info']) rmSync(path.join(root, dir), { recursive: true, force: true });
    mkdirSync(path.join(root, 'usr/local/sbin'), { recursive: true });
    writeFileSync(path.join(root, 'usr/local/sbin/apt-get'), APT_GET);
    chmodSync(path.join(root, 'usr/local/sbin/apt-get'), 0o755);
    mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
    writeFileSync(path.join(root, 'usr/local/bin/docker-php-ext-install'), DOCKER_PHP_EXT_INSTALL);
    chmodSync(path.join(root, 'usr/local/bin/docker-php-ext-install'), 0o755);
    run('tar', ['-C', root, '--numeric-owner', '-cf', `${tarball}.tmp`, '.']);
    renameSync(`${tarball}.tmp`, tarball);
    // Root file systems of earlier recipes are not used again.
    for (const file of readdirSync(cacheDir)) if (file.startsWith('php-fpm-bookworm-') && path.join(cacheDir, file) !== tarball) rmSync(path.join(cacheDir, file), { force: true });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return tarball;
}

/** Imports the stand-in base images into the Docker daemon `docker` talks to. */
export function importBaseImages(docker: (args: readonly string[]) => string, rootfs: string, scratch: string): void {
  docker(['import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--change', 'ENV DEBIAN_FRONTEND=noninteractive', '--change', 'CMD ["php-fpm8.2", "-F"]', rootfs, 'php:8.3-fpm-bookworm']);
  const composer = path.join(scratch, 'composer-image');
  mkdirSync(path.join(composer, 'usr/bin'), { recursive: true });
  copyFileSync(COMPOSER_STANDIN, path.join(composer, 'usr/bin/composer'));
  chmodSync(path.join(composer, 'usr/bin/composer'), 0o755);
  const tarball = path.join(scratch, 'composer-image.tar');
  run('tar', ['-C', composer, '-cf', tarball, '.']);
  docker(['import', tarball, 'composer:2']);
}
