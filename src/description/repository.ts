/**
 * A description checked against the repository it describes, all problems at once. What it
 * names must be there: a Terraform root or module that is not a directory is an error (its plan
 * and apply would never run: explain would say "no changed file under" it, and a .tf change
 * "cannot be read (ENOENT)"). A branch the repository's refs do not know is a warning (it may be
 * a branch to come), naming the branches it has and the one meant. Only what the description
 * says is checked, never a value a preset or default filled in.
 */
import type { ProjectDescription } from './resolve.js';
import { closest, type Problem } from './schemaKit.js';

export interface RepositoryFacts {
  /** Whether `relative` (to the project root) is a directory. */
  readonly isDirectory: (relative: string) => boolean;
  /** The repository's branch names (local and remote-tracking); undefined when not checked. */
  readonly branches?: readonly string[];
  /** The suite names of .circleci/test-suites.yml; undefined when there is no such file. */
  readonly testSuites?: readonly string[];
}

export interface RepositoryFindings {
  readonly errors: Problem[];
  readonly warnings: string[];
}

export function checkAgainstRepository(description: ProjectDescription, facts: RepositoryFacts): RepositoryFindings {
  const errors: Problem[] = [];
  const missing = (path: Problem['path'], dir: string, what: string) => {
    if (!facts.isDirectory(dir)) errors.push({ path, message: `no such directory in the repository (got ${JSON.stringify(dir)}; expected the directory of ${what}, relative to the description's folder)` });
  };
  (description.terraform?.roots ?? []).forEach((root, index) => {
    missing(['terraform', 'roots', index, 'dir'], root.dir, 'a Terraform root module');
  });
  (description.terraform?.modules ?? []).forEach((module, index) => {
    missing(['terraform', 'modules', index], module, 'a shared Terraform module');
  });
  for (const suite of description.tests) {
    if (suite.testsuite === undefined || facts.testSuites?.includes(suite.testsuite) === true) continue;
    const names = facts.testSuites ?? [];
    const meant = closest(suite.testsuite, names);
    errors.push({
      path: ['tests', suite.name, 'testsuite'],
      message: facts.testSuites === undefined
        ? `no .circleci/test-suites.yml in the repository (got ${JSON.stringify(suite.testsuite)}; expected a suite of that file: name, discover, run)`
        : `no such suite in .circleci/test-suites.yml${meant !== undefined ? `; did you mean "${meant}"?` : ''} (got ${JSON.stringify(suite.testsuite)}; expected one of ${names.map((name) => JSON.stringify(name)).join(', ') || 'its suites (it names none)'})`,
    });
  }

  const warnings: string[] = [];
  const branches = facts.branches;
  if (branches !== undefined && branches.length > 0) {
    const known = (where: string, branch: string) => {
      if (branches.includes(branch)) return;
      const meant = closest(branch, branches);
      const shown = branches.length > 8 ? `${branches.slice(0, 8).join(', ')}, ...` : branches.join(', ');
      warnings.push(`${where}: the repository has no branch ${JSON.stringify(branch)}${meant !== undefined ? ` (did you mean "${meant}"?)` : ''}; it has ${shown}`);
    };
    known('project.defaultBranch', description.project.defaultBranch);
    for (const env of description.environments) if (env.trigger.type === 'branch') known(`environments.${env.name}.trigger.branch`, env.trigger.branch);
  }
  return { errors, warnings };
}
