import { describe, expect, it } from 'vitest';
import { compileJsonPath, readJsonPath } from './json-path.js';

describe('json paths', () => {
  const doc = { data: { items: [1, 2], links: [{ href: 'h' }] }, n: null };

  it('walks objects and array indexes; "" is the document', () => {
    expect(readJsonPath(doc, compileJsonPath('data.items')!)).toEqual([1, 2]);
    expect(readJsonPath(doc, compileJsonPath('data.links.0.href')!)).toBe('h');
    expect(readJsonPath(doc, compileJsonPath('')!)).toBe(doc);
  });

  it('gives undefined for missing steps and never reads a prototype', () => {
    expect(readJsonPath(doc, compileJsonPath('data.nope.x')!)).toBeUndefined();
    expect(readJsonPath(doc, compileJsonPath('n.x')!)).toBeUndefined();
    expect(readJsonPath(doc, compileJsonPath('constructor')!)).toBeUndefined();
    expect(readJsonPath(doc, compileJsonPath('data.__proto__')!)).toBeUndefined();
  });

  it('rejects empty segments', () => {
    expect(compileJsonPath('a..b')).toBeUndefined();
    expect(compileJsonPath('.a')).toBeUndefined();
  });
});
