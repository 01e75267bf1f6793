import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { minimatch } from 'minimatch';
import { compileGlob, compileRule, GLOB_OPTIONS, globProblem, globRegExp, matchesAny } from '../../src/plan/pathRules.js';

/** A small deterministic generator, so a failure names a reproducible case. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const SEGMENTS = ['app', 'src', '.github', 'a b', 'ü', 'x.php', 'Test.php', 'README.md', '.env', 'composer.json', 'b', 'a*b', 'a-b', 'c+d', '[x]', '@', '..x', 'ab'];
const GLOB_SEGMENTS = [
  '**', '*', '*.php', '*.md', '{app,src}', '[ab]', '?', '.*', 'app', 'src', '*Test.php', 'x.*', 'b', '**.php',
  'a\\*b', '[a-c]?', '[!a]*', '[^.]*', '{,.}env', 'a{b,-b}', 'c+d', '@', '*.{php,md}', '[]x]', '?b', 'a[', '{a,b{c,d}}', '.[a-z]*',
];

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[Math.floor(next() * list.length)] as T;
}

describe('compiled globs', () => {
  it('agree with minimatch (dot: true) on 160,000 generated pattern and path pairs', () => {
    const next = random(7);
    let matches = 0;
    let compiled = 0;
    for (let i = 0; i < 800; i++) {
      const pattern = Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(next, GLOB_SEGMENTS)).join('/');
      const glob = compileGlob(pattern);
      if (globRegExp(pattern)) compiled++;
      for (let j = 0; j < 200; j++) {
        const file = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(next, SEGMENTS)).join('/');
        const expected = minimatch(file, pattern, GLOB_OPTIONS);
        if (expected) matches++;
        assert.equal(glob.test(file), expected, `${pattern} on ${file}`);
      }
    }
    assert.ok(matches > 2500, `only ${matches} matches: the generator tests too little`);
    assert.ok(compiled > 700, `only ${compiled} of 800 patterns compiled to one regular expression`);
  });

  it('take literal prefixes and suffixes that every match has', () => {
    assert.deepEqual([compileGlob('app/**/*.php').prefix, compileGlob('app/**/*.php').suffix], ['app/', '.php']);
    assert.deepEqual([compileGlob('**/b').prefix, compileGlob('**/b').suffix], ['', 'b']);
    assert.equal(compileGlob('**/b').test('b'), true);
    assert.equal(compileGlob('composer.json').test('composer.json'), true);
  });

  it('leave extglobs and other rare syntax to minimatch', () => {
    for (const pattern of ['+(a|b)', '[[:alpha:]]*', 'a//b', 'a[']) assert.equal(globRegExp(pattern), undefined, pattern);
    assert.equal(compileGlob('app/+(a|b).php').test('app/ab.php'), true);
  });

  it('match dot files and directories', () => {
    assert.equal(compileGlob('**').test('.github/workflows/x.yml'), true);
    assert.equal(compileGlob('app/**').test('app/.env'), true);
  });
});

describe('rules', () => {
  it('select exactly what filtering with minimatch selects, on generated rules and file lists', () => {
    const next = random(11);
    for (let round = 0; round < 300; round++) {
      const globs = (count: number) => Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(next, GLOB_SEGMENTS)).join('/'));
      const rule = { include: globs(1 + Math.floor(next() * 3)), exclude: globs(Math.floor(next() * 2)) };
      const files = [...new Set(Array.from({ length: 60 }, () => Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(next, SEGMENTS)).join('/')))];
      const expected = files.filter(
        (file) => rule.include.some((p) => minimatch(file, p, GLOB_OPTIONS)) && !rule.exclude.some((p) => minimatch(file, p, GLOB_OPTIONS)),
      );
      assert.deepEqual(compileRule(rule).matching(files), expected, JSON.stringify(rule));
      for (const pattern of rule.include) {
        assert.equal(matchesAny(compileGlob(pattern), files), files.some((file) => minimatch(file, pattern, GLOB_OPTIONS)), pattern);
      }
    }
  });

  it('keep the given order and find files whose paths hold characters beyond U+FFFF', () => {
    const files = ['z/a.php', 'app/\u{1F600}.php', 'app/\uffff.php', 'app/a.php'];
    assert.deepEqual(compileRule({ include: ['app/**'], exclude: [] }).matching(files), files.slice(1));
    assert.deepEqual(compileRule({ include: ['**/*.php'], exclude: ['z/**'] }).matching(files), files.slice(1));
  });

  it('select files an include matches and no exclude matches', () => {
    const rule = compileRule({ include: ['app/**', 'composer.*'], exclude: ['**/*.md'] });
    assert.deepEqual(rule.matching(['app/a.php', 'app/README.md', 'composer.lock', 'tests/x.php']), ['app/a.php', 'composer.lock']);
  });
});

describe('glob problems', () => {
  const cases: [string, string | undefined][] = [
    ['app/**', undefined],
    ['!app/**', 'negated glob; put it in "exclude" instead'],
    ['/app/**', 'absolute glob; globs match paths relative to the project root'],
    ['./app/**', 'glob starting with "./"; changed paths never do'],
    ['a'.repeat(70000), 'not a valid glob (pattern is too long)'],
  ];
  for (const [pattern, problem] of cases) {
    it(`${pattern.slice(0, 20)}: ${problem ?? 'fine'}`, () => {
      assert.equal(globProblem(pattern), problem);
    });
  }
});
