import { describe, expect, it } from 'vitest';
import {
  checkOptionSection,
  checkOptionsDoc,
  parseDefaultCell,
  parseOptionSections,
} from './docs-table.js';

const DOC = `# Title

## Widget

Defaults: \`DEFAULT_WIDGET_OPTIONS\`

| option | default | meaning |
| --- | --- | --- |
| \`size\` | \`1048576\` (1 MiB) | bytes |
| \`name\` | \`"w"\` | a name with a \\| pipe |
| \`mode\` | \`0o640\` | file mode |
| \`path\` | required | where |

\`\`\`md
| option | default | meaning |
| --- | --- | --- |
| \`ignored\` | \`1\` | inside a code block |
\`\`\`

## Gadget

| field | default |
| --- | --- |
| \`on\` | \`true\` |
`;

describe('parseDefaultCell', () => {
  it.each([
    ['`1000`', 1000],
    ['10_000', 10_000],
    ['`1048576` (1 MiB)', 1_048_576],
    ['`0o640`', 0o640],
    ['`"info"`', 'info'],
    ["`'stdout'`", 'stdout'],
    ['`true`', true],
    ['`undefined` (NDJSON: `JSON.stringify(msg.toJSON())`)', undefined],
    ['`{}`', {}],
    ['"GET"', 'GET'],
  ])('reads %s as a literal', (cell, value) => {
    expect(parseDefaultCell(cell)).toEqual({ literal: true, value });
  });

  it.each([
    'required',
    'none (off)',
    '`source.<name>`',
    '`source.<name>`, see the note',
    '10000 ms',
    '`info`',
    'none (`init` gets {})',
  ])('reads %s as prose', (cell) => {
    expect(parseDefaultCell(cell)).toEqual({ literal: false });
  });
});

describe('parseOptionSections', () => {
  it('collects the rows and the Defaults line of each section, skipping code blocks', () => {
    const sections = parseOptionSections(DOC);
    expect(sections.map((s) => [s.heading, s.defaultsName, s.rows.map((r) => r.option)])).toEqual([
      ['Widget', 'DEFAULT_WIDGET_OPTIONS', ['size', 'name', 'mode', 'path']],
      ['Gadget', undefined, ['on']],
    ]);
    expect(sections[0]!.rows[1]!.default).toEqual({ literal: true, value: 'w' });
    expect(sections[0]!.rows[0]!.line).toBe(9);
  });
});

describe('checkOptionSection', () => {
  const [widget] = parseOptionSections(DOC);

  it('accepts a section that matches the code', () => {
    expect(checkOptionSection(widget!, { size: 1 << 20, name: 'w', mode: 0o640 })).toEqual([]);
  });

  it('reports a missing option, a different default and an unchecked literal', () => {
    const problems = checkOptionSection(widget!, { size: 2048, name: 'w', color: 'red' });
    expect(problems).toEqual([
      expect.stringMatching(/"size" \(line 9\) is documented as 1048576, but the code has 2048/),
      expect.stringMatching(/option "color" is missing \(its default is "red"\)/),
      expect.stringMatching(/"mode" \(line 11\) is a literal that no test checks/),
    ]);
  });

  it('asks for a literal when the documented default is prose', () => {
    expect(
      checkOptionSection(widget!, { size: 1 << 20, name: 'w', mode: 0o640, path: 'x' }),
    ).toEqual([
      expect.stringMatching(/default of "path" \(line 12\) must be written as a literal/),
    ]);
  });
});

describe('checkOptionsDoc', () => {
  it('reports a defaults object that no section links, and a derived section that is missing', () => {
    const problems = checkOptionsDoc(DOC, {
      defaults: {
        DEFAULT_WIDGET_OPTIONS: { size: 1 << 20, name: 'w', mode: 0o640 },
        DEFAULT_OTHER_OPTIONS: { a: 1 },
      },
      derived: { Gadget: { on: true }, Missing: { x: 1 } },
    });
    expect(problems).toEqual([
      'DEFAULT_OTHER_OPTIONS is not documented: no section has the line "Defaults: `DEFAULT_OTHER_OPTIONS`"',
      'no section "Missing" with an option table',
    ]);
  });
});
