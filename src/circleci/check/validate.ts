/**
 * `validate`: a CircleCI config or packed orb, checked offline. A config is first processed as
 * CircleCI does (./process.ts), then the result is checked against CircleCI's official schema;
 * every problem points at the source line it comes from, one problem one line. A packed orb
 * (no workflows) is checked as written, with the reference checks of ./references.ts, leaving
 * alone values that only parameters decide (`<< parameters.x >>`).
 */
import { formatPath } from '../../description/schemaKit.js';
import { checkOfficialSchema, knownJobKeys, knownStepKeys, type SchemaFinding } from './officialSchema.js';
import { isRecord } from '../../orb/pack.js';
import { EXECUTOR_KINDS, processConfig, type Problem, type Severity } from './process.js';
import { hasReference } from './templating.js';
import { BUILT_IN_STEPS, checkReferences, closestOf } from './references.js';
import { findStrayTags } from './tags.js';
import { lineAt, readYaml, type Path } from './yamlRead.js';

export interface ValidationFinding {
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly severity: Severity;
}

export interface ValidateOptions {
  /** Name of the file in messages. */
  readonly file?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly loadOrb?: (reference: string) => unknown;
}

/** Every finding in a config's (or packed orb's) text, by line; only errors fail validation. */
export function validateConfigText(text: string, options: ValidateOptions = {}): ValidationFinding[] {
  const file = options.file ?? '<config>';
  const read = readYaml(text, file);
  if (!read.ok) return read.problems.map((problem) => ({ ...problem, severity: 'error' as const }));
  const value = read.value;
  if (!isRecord(value)) return [{ file, line: 1, message: 'not a CircleCI config: expected a mapping with version, jobs and workflows', severity: 'error' }];
  const findings = value.workflows !== undefined || (value.jobs !== undefined && value.description === undefined && value.display === undefined)
    ? validateConfig(value, file, options)
    : validateOrb(value, file);
  return oneLineEach(findings);
}

function validateConfig(source: Record<string, unknown>, file: string, options: ValidateOptions): ValidationFinding[] {
  const processed = processConfig(source, { file, ...(options.parameters ? { parameters: options.parameters } : {}), ...(options.loadOrb ? { loadOrb: options.loadOrb } : {}) });
  const findings: ValidationFinding[] = processed.problems.map((problem: Problem) => ({ ...problem }));
  if (!processed.config) return findings;
  const { view, realName } = schemaView(processed.config);
  const schemaFindings = checkOfficialSchema(view).filter((finding) => !otherBranchKnows(finding));
  // restore_cache {keys, when}: one oneOf branch misses `key`, the other has an extra `when`.
  // The extra key is the real story (a warning); the missing `key` is its echo.
  const tolerated = new Set(schemaFindings.filter((finding) => severityOf(finding, finding.path) === 'warning').map((finding) => finding.path.join('\u0000')));
  for (const finding of schemaFindings) {
    // A job with two executors is reported by processing, at the second; the schema's echo
    // ("must have required property 'executor'", at jobs:) sends the reader the wrong way.
    if (finding.path.length === 2 && finding.path[0] === 'jobs' && executorKinds(processed.config, finding.path) > 1) continue;
    if (finding.key === undefined && tolerated.has(finding.path.join('\u0000')) && /required property 'key'/.test(finding.message) && hasKeys(processed.config, finding.path)) continue;
    const path = finding.path.map((key, index) => (index === 1 && finding.path[0] === 'jobs' && typeof key === 'string' ? (realName.get(key) ?? key) : key));
    findings.push(...fromSchema(processed.config, finding, path, file));
  }
  return findings;
}

function validateOrb(orb: Record<string, unknown>, file: string): ValidationFinding[] {
  const findings: ValidationFinding[] = findStrayTags(orb, file).map((stray) => ({ ...stray, severity: 'error' as const }));
  for (const finding of checkOfficialSchema(orb).filter((finding) => !otherBranchKnows(finding))) findings.push(...fromSchema(orb, finding, finding.path, file));
  for (const finding of checkReferences(orb)) {
    findings.push({ ...(lineAt(orb, finding.path) ?? { file, line: 1 }), message: `${formatPath(finding.path)}: ${finding.message}`, severity: finding.note === true ? 'note' : 'error' });
  }
  return findings;
}

/**
 * A finding of the official schema about `path` of `root` (the finding's path, or the same with
 * real job names), at its line; none when it depends on a value not known offline.
 */
function fromSchema(root: unknown, finding: SchemaFinding, path: Path, file: string): ValidationFinding[] {
  const at = finding.key !== undefined ? [...path, finding.key] : path;
  if (dependsOnUnknown(root, at) || emptyDescription(root, at)) return [];
  return [{ ...(lineAt(root, at) ?? { file, line: 1 }), message: `${formatPath(path)}: ${finding.message}${hint(finding, path)}`, severity: severityOf(finding, path) }];
}

/**
 * The processed config as the schema wants it: the schema is that of 2.1 sources, so a 2.0
 * config is shown as 2.1 and `workflows.version` (deprecated, ignored) is dropped; a processed
 * job's name may hold a matrix value such as `test-3.11`, which the schema's pattern for names
 * that people write refuses, so jobs are given neutral names while checking.
 */
function schemaView(config: Record<string, unknown>): { view: Record<string, unknown>; realName: Map<string, string> } {
  const realName = new Map<string, string>();
  const jobs: Record<string, unknown> = {};
  let index = 0;
  for (const [name, job] of Object.entries(isRecord(config.jobs) ? config.jobs : {})) {
    const key = /^[A-Za-z][A-Za-z\s\d_-]*$/.test(name) ? name : `job-${++index}`;
    realName.set(key, name);
    jobs[key] = job;
  }
  const workflows: Record<string, unknown> = {};
  for (const [name, workflow] of Object.entries(isRecord(config.workflows) ? config.workflows : {})) if (name !== 'version') workflows[name] = workflow;
  const view: Record<string, unknown> = { ...config, version: 2.1, jobs, workflows };
  return { view, realName };
}

/** An "unknown key" of a built-in step that another branch of the step's schema takes. */
function otherBranchKnows(finding: SchemaFinding): boolean {
  const step = finding.path[finding.path.length - 1];
  return finding.key !== undefined && typeof step === 'string' && BUILT_IN_STEPS.has(step) && knownStepKeys(step).has(finding.key);
}

function valueAt(root: unknown, path: Path): unknown {
  let node: unknown = root;
  for (const key of path) node = isRecord(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[key] : undefined;
  return node;
}

function executorKinds(root: unknown, path: Path): number {
  const job = valueAt(root, path);
  return isRecord(job) ? EXECUTOR_KINDS.filter((key) => job[key] !== undefined).length : 0;
}

function hasKeys(root: unknown, path: Path): boolean {
  const node = valueAt(root, path);
  return isRecord(node) && node.keys !== undefined;
}

/**
 * `description:` left empty (YAML null): the schema wants a string, CircleCI takes it. Published
 * orbs carry such parameters (the orb registry accepted them at publish time; issue 25).
 */
function emptyDescription(root: unknown, path: Path): boolean {
  return path[path.length - 1] === 'description' && valueAt(root, path) === null;
}

/** A value still holding `<< ... >>` is decided by what cannot be known offline: not checked. */
function dependsOnUnknown(root: unknown, path: Path): boolean {
  let node: unknown = root;
  for (const key of path) {
    if (typeof node === 'string') break;
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<string | number, unknown>)[key];
  }
  return containsReference(node, 0);
}

function containsReference(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return hasReference(value);
  if (depth > 1) return false;
  if (Array.isArray(value)) return value.some((item) => containsReference(item, depth + 1));
  if (isRecord(value)) return Object.values(value).some((item) => containsReference(item, depth + 1));
  return false;
}

/**
 * Error or warning. CircleCI has long run configs whose built-in steps carry keys its schema
 * does not list (`restore_cache` with `paths`, `when` on a `save_cache`...): it ignores them.
 * Such a key is a warning (the step does not do what the key says), not an error.
 */
function severityOf(finding: SchemaFinding, path: Path): Severity {
  if (finding.key === undefined) return 'error';
  const stepIndex = path.findLastIndex((key, index) => key === 'steps' && typeof path[index + 1] === 'number');
  const stepName = stepIndex >= 0 ? path[stepIndex + 2] : undefined;
  if (typeof stepName === 'string' && BUILT_IN_STEPS.has(stepName) && path.length === stepIndex + 3) return 'warning';
  return 'error';
}

function hint(finding: SchemaFinding, path: Path): string {
  if (finding.key === undefined) return '';
  const last = path[path.length - 1];
  if (typeof last === 'string' && BUILT_IN_STEPS.has(last)) return `${closestOf(finding.key, [...knownStepKeys(last)])} (CircleCI ignores keys its ${last} step does not know)`;
  if (path.length === 2 && path[0] === 'jobs') return closestOf(finding.key, [...knownJobKeys()]);
  return '';
}

/** Each problem once (a matrix repeats its job's problems), by line, errors before warnings. */
function oneLineEach(findings: readonly ValidationFinding[]): ValidationFinding[] {
  const rank: Record<Severity, number> = { error: 0, warning: 1, note: 2 };
  const sorted = [...findings].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || rank[a.severity] - rank[b.severity]);
  const seen = new Set<string>();
  const kept: ValidationFinding[] = [];
  for (const finding of sorted) {
    const key = `${finding.file}:${finding.line}:${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(finding);
  }
  return kept;
}
