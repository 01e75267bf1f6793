/**
 * CircleCI's tag filter values: a name, or `/regex/` that must match the whole tag. From
 * https://circleci.com/docs/reference/configuration-reference/#tags: "Regular expressions must
 * match the entire string." CircleCI's regular expressions are Java's; the ones the schema
 * accepts are those JavaScript compiles, and the common syntax means the same in both.
 */

/** The regular expression of a `/regex/` filter value, or undefined for a tag name. */
export function tagFilterPattern(filter: string): string | undefined {
  return filter.length > 2 && filter.startsWith('/') && filter.endsWith('/') ? filter.slice(1, -1) : undefined;
}

/** Whether one filter value (`v1.2.3` or `/^v\d+$/`) matches `tag`. */
export function tagFilterMatches(filter: string, tag: string): boolean {
  const pattern = tagFilterPattern(filter);
  return pattern !== undefined ? new RegExp(`^(?:${pattern})$`).test(tag) : filter === tag;
}

/** The first of `filters` that matches `tag`, or undefined when none does. */
export function matchingTagFilter(filters: readonly string[], tag: string): string | undefined {
  return filters.find((filter) => tagFilterMatches(filter, tag));
}
