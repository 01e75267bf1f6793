/**
 * Logic statements (`when`/`unless` of workflows and steps), checked and decided at compile time
 * as CircleCI decides them (circleci.com/docs/configuration-reference#logic-statements).
 */
import { isRecord } from '../../orb/pack.js';
import { closestOf } from './references.js';
import { hasReference, truthy } from './templating.js';

/** Reports a problem at `key` of `container` (its line). */
export type ReportAt = (container: unknown, key: string | number | undefined, message: string) => void;

export const LOGIC_OPERATORS = ['and', 'or', 'not', 'equal', 'matches'];

/**
 * Checks a logic statement (circleci.com/docs/configuration-reference#logic-statements) and
 * decides it when it can: true/false, or undefined when it depends on what is not known offline.
 */
export function checkLogic(statement: unknown, container: unknown, key: string | number, error: ReportAt): boolean | undefined {
  if (!isRecord(statement)) {
    if (typeof statement === 'string' && hasReference(statement)) return undefined;
    return truthy(statement);
  }
  const keys = Object.keys(statement);
  if (keys.length !== 1) {
    error(container, key, `a logic statement has exactly one operator (${LOGIC_OPERATORS.join(', ')}); found ${keys.join(', ') || 'none'}`);
    return undefined;
  }
  const operator = keys[0] ?? '';
  const operand = statement[operator];
  switch (operator) {
    case 'and':
    case 'or': {
      if (!Array.isArray(operand)) {
        error(statement, operator, `${operator} takes a list of logic statements`);
        return undefined;
      }
      const results = operand.map((item, index) => checkLogic(item, operand, index, error));
      if (operator === 'and') return results.includes(false) ? false : results.includes(undefined) ? undefined : true;
      return results.includes(true) ? true : results.includes(undefined) ? undefined : false;
    }
    case 'not': {
      const result = checkLogic(operand, statement, 'not', error);
      return result === undefined ? undefined : !result;
    }
    case 'equal': {
      if (!Array.isArray(operand) || operand.length < 2) {
        error(statement, operator, 'equal takes a list of two or more values to compare');
        return undefined;
      }
      if (operand.some((item) => hasReference(item))) return undefined;
      const first = JSON.stringify(operand[0]);
      return operand.every((item) => JSON.stringify(item) === first);
    }
    case 'matches': {
      if (!isRecord(operand) || typeof operand.pattern !== 'string' || !('value' in operand)) {
        error(statement, operator, 'matches takes {pattern: REGEX, value: VALUE}');
        return undefined;
      }
      if (hasReference(operand.value)) return undefined;
      try {
        return new RegExp(`^(?:${operand.pattern})$`).test(String(operand.value));
      } catch {
        error(operand, 'pattern', `matches: pattern ${JSON.stringify(operand.pattern)} is not a regular expression`);
        return undefined;
      }
    }
    default:
      error(statement, operator, `"${operator}" is not a logic operator; use one of ${LOGIC_OPERATORS.join(', ')}${closestOf(operator, LOGIC_OPERATORS)}`);
      return undefined;
  }
}
