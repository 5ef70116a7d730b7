import { describe, expect, it } from 'vitest';
import { LogMessage } from '../log-message.js';
import { PathTemplate, sanitizePathValue } from './path-template.js';

function message(fields: Record<string, string>): LogMessage {
  const msg = new LogMessage('m');
  for (const [k, v] of Object.entries(fields)) msg.set(k, v);
  return msg;
}

describe('sanitizePathValue and PathTemplate', () => {
  it('replaces separators, NUL and dot segments', () => {
    expect(sanitizePathValue('web-1.example.com')).toBe('web-1.example.com');
    expect(sanitizePathValue('a..b')).toBe('a..b');
    expect(sanitizePathValue('../../etc')).toBe('______etc');
    expect(sanitizePathValue('/abs')).toBe('_abs');
    expect(sanitizePathValue('a/./b\\c\0d')).toBe('a___b_c_d');
    expect(sanitizePathValue('..')).toBe('__');
  });

  it('takes the directory before the first $ as the base, and confines strictly below it', () => {
    const t = new PathTemplate('/var/log/app-${HOST}/x.log');
    expect(t.baseDir).toBe('/var/log');
    expect(t.confine('/var/log/app-web/x.log')).toBe('/var/log/app-web/x.log');
    expect(t.confine('/var/log')).toBeUndefined();
    expect(t.confine('/var/log/')).toBeUndefined();
    expect(t.confine('/var/logs/x')).toBeUndefined();
    expect(t.confine('/var/log/../x')).toBeUndefined();
    expect(new PathTemplate('logs/$HOST.log', '/srv').baseDir).toBe('/srv/logs');
    expect(new PathTemplate('$HOST.log', '/srv').confine('web.log')).toBe('/srv/web.log');
  });

  it('turns a macro segment that comes out empty, "." or ".." into "_" or "__"', () => {
    const t = new PathTemplate('/l/${A}/${B}');
    // Regression: A "" made /l/x a file while B "y" needs /l/x/ as a directory (EISDIR, batch dropped).
    expect(t.expand(message({ A: '', B: 'x' }))).toBe('/l/_/x');
    expect(t.expand(message({ A: 'x', B: '' }))).toBe('/l/x/_');
    expect(t.expand(message({ A: '', B: '' }))).toBe('/l/_/_');
    expect(t.expand(message({ A: 'x', B: 'y' }))).toBe('/l/x/y');
    const dots = new PathTemplate('/l/${A}.${B}/${A}..${B}/${A}${B}/f');
    expect(dots.expand(message({ A: '', B: '' }))).toBe('/l/_/__/_/f');
    expect(dots.expand(message({ A: 'a', B: '' }))).toBe('/l/a./a../a/f');
    expect(dots.expand(message({ A: '', B: '.' }))).toBe('/l/._/.._/_/f');
    // Literal segments, and values inside a longer segment, stay as written.
    const mixed = new PathTemplate('/l//x/pre-${A}-${B}/../${A}.log');
    expect(mixed.expand(message({ A: '', B: '' }))).toBe('/l//x/pre--/../.log');
    expect(new PathTemplate('/l/${A}').expand(message({ A: '' }))).toBe('/l/_');
    expect(new PathTemplate('${A}/${B}', '/srv').expand(message({}))).toBe('_/_');
    // Confinement still applies to what the literal adds.
    const up = new PathTemplate('/l/${A}/../../x');
    expect(up.confine(up.expand(message({ A: '' })))).toBeUndefined();
  });

  it('parses $$, bare names and braces like the template engine', () => {
    const msg = message({ HOST: 'web', 'a.b': 'dot' });
    expect(new PathTemplate('/l/$$x/$HOST.log/${a.b}/$-').expand(msg)).toBe('/l/$x/web.log/dot/$-');
  });
});
