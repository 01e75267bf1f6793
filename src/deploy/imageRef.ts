/**
 * Container image references, as Docker reads them: `[REGISTRY[:PORT]/]REPOSITORY[:TAG][@DIGEST]`.
 * A first component is a registry when it has a `.` or a `:` or is `localhost`.
 */
import { InputError } from '../errors.js';

export interface ImageRef {
  readonly registry?: string;
  /** The repository path, without registry, tag or digest. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly text: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

export function parseImageRef(text: string): ImageRef {
  const bad = (why: string): never => {
    throw new InputError(`--image: not an image reference: ${why} (got ${JSON.stringify(text)}; expected such as 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app@sha256:...)`);
  };
  if (text === '' || /\s/.test(text)) bad('empty or holds white space');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) bad('malformed digest');
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad('malformed tag');
  }
  if (rest === '' || !rest.split('/').every((part) => COMPONENT.test(part))) bad('malformed repository');
  if (registry !== undefined && !/^[A-Za-z0-9.-]+(:\d+)?$/.test(registry)) bad('malformed registry');
  return { repository: rest, text, ...(registry !== undefined ? { registry } : {}), ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Registry and repository: what "the same image, another version" shares. */
export function imageName(ref: ImageRef): string {
  return ref.registry !== undefined ? `${ref.registry}/${ref.repository}` : ref.repository;
}

/** Whether a container's current image (any text) is of the same repository as `ref`. */
export function sameRepository(current: string, ref: ImageRef): boolean {
  try {
    return imageName(parseImageRef(current)) === imageName(ref);
  } catch {
    return false;
  }
}
