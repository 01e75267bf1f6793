/**
 * A new task definition revision from the one a service runs: everything kept but the fields
 * AWS sets itself, so fields this code does not know (new AWS features) survive unchanged.
 */
import type { ContainerDefinition, RegisterTaskDefinitionCommandInput, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { sameRepository, type ImageRef } from './imageRef.js';

/** Fields of a described task definition that RegisterTaskDefinition does not take. */
export const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
] as const;

export interface ImageChange {
  readonly container: string;
  readonly from: string;
  readonly to: string;
}

export interface NewRevision {
  readonly input: RegisterTaskDefinitionCommandInput;
  readonly changes: readonly ImageChange[];
  /** Containers chosen, changed or already running the image. */
  readonly matched: readonly string[];
}

/**
 * The registration input of a new revision with `image` in the chosen containers: those named
 * in `containers`, or else every container whose image is of the same repository.
 */
export function newRevision(current: TaskDefinition, tags: readonly Tag[] | undefined, image: ImageRef, containers?: readonly string[]): NewRevision {
  const copy: Record<string, unknown> = Object.fromEntries(
    Object.entries(current).filter(([field]) => !(READ_ONLY_FIELDS as readonly string[]).includes(field)),
  );
  const changes: ImageChange[] = [];
  const matched: string[] = [];
  const definitions = (current.containerDefinitions ?? []).map((container): ContainerDefinition => {
    const name = container.name ?? '';
    const chosen = containers && containers.length > 0 ? containers.includes(name) : sameRepository(container.image ?? '', image);
    if (!chosen) return container;
    matched.push(name);
    if (container.image === image.text) return container;
    changes.push({ container: name, from: container.image ?? '', to: image.text });
    return { ...container, image: image.text };
  });
  copy.containerDefinitions = definitions;
  if (tags && tags.length > 0) copy.tags = [...tags];
  return { input: copy as unknown as RegisterTaskDefinitionCommandInput, changes, matched };
}

/** `family:revision` of a task definition ARN, for people. */
export function shortArn(arn: string | undefined): string {
  return (arn ?? '?').split('/').pop() ?? '?';
}
