/** Every command, loaded (for the README's CLI reference and tests; the CLI loads them lazily). */
import type { Command } from '../command.js';
import { configCommand } from './config.js';
import { deployCommand } from './deploy.js';
import { doctorCommand } from './doctor.js';
import { explainCommand } from './explain.js';
import { generateCommand } from './generate.js';
import { initCommand } from './init.js';
import { notifyCommand } from './notify.js';
import { orbCommand } from './orb.js';
import { rollbackCommand } from './rollback.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { triggerCommand } from './trigger.js';
import { validateCommand } from './validate.js';

export const COMMANDS: readonly Command[] = [generateCommand, explainCommand, deployCommand, runCommand, rollbackCommand, doctorCommand, notifyCommand, triggerCommand, initCommand, validateCommand, configCommand, orbCommand, schemaCommand];
