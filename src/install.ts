/**
 * How a pipeline's jobs get circle-fargate: the orb's `install` command, given the source the
 * description chose (registry, lockfile, tarball). The setup job installs what generate needs;
 * the deploy jobs install the same source at the version that generated them, with the AWS SDK.
 * These are the orb job parameters that carry the choice; the orb validates them again.
 */
import type { InstallSource } from './description/resolve.js';

export interface InstallParameters {
  readonly install_source: InstallSource['source'];
  readonly version: string;
  readonly install_from: string;
  readonly [key: string]: string;
}

/**
 * For `init`'s setup job, `version` is the registry version the description pins, else the
 * running one. For the jobs `generate` emits it is always the running version: the one the setup
 * job installed, so that one pipeline runs one version. A lockfile source becomes the registry
 * there: the setup job read the lockfile and runs the version it pins, which is this one.
 */
export function installParameters(install: InstallSource, version: string, use: 'setup' | 'generated'): InstallParameters {
  switch (install.source) {
    case 'registry':
      return { install_source: 'registry', version: use === 'setup' ? (install.version ?? version) : version, install_from: '' };
    case 'lockfile':
      return use === 'setup' ? { install_source: 'lockfile', version, install_from: install.path ?? '' } : { install_source: 'registry', version, install_from: '' };
    case 'tarball':
      return { install_source: 'tarball', version, install_from: install.location };
  }
}
