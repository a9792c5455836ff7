import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { versionedFormat } from './versioned';

// A format that went through two changes: v1 {name}, v2 {title} (renamed), v3 {title, tags}.
const schema = z.object({ title: z.string().min(1, 'must not be empty'), tags: z.array(z.string()) }).strict();
const format = versionedFormat({
  schema,
  migrations: [({ name, ...rest }) => ({ ...rest, title: name }), (previous) => ({ ...previous, tags: [] })],
});

describe('versionedFormat', () => {
  it('is at version 1 + its migrations and writes that version beside the content', () => {
    expect(format.version).toBe(3);
    expect(format.write({ title: 't', tags: ['a'] })).toEqual({ version: 3, title: 't', tags: ['a'] });
    expect(versionedFormat({ schema, migrations: [] }).version).toBe(1);
  });

  it('reads content without a version as version 1 and applies every step in order', () => {
    expect(format.read({ name: 'old' })).toEqual({ ok: true, data: { title: 'old', tags: [] }, from: 1, current: false });
    expect(format.read({ version: 2, title: 'mid' })).toEqual({ ok: true, data: { title: 'mid', tags: [] }, from: 2, current: false });
    expect(format.read({ version: 3, title: 'new', tags: ['x'] })).toEqual({
      ok: true,
      data: { title: 'new', tags: ['x'] },
      from: 3,
      current: true,
    });
  });

  it('reads an unversioned file of a format never changed as current content, not yet saying so', () => {
    const first = versionedFormat({ schema: z.object({ a: z.number() }), migrations: [] });
    expect(first.read({ a: 1 })).toEqual({ ok: true, data: { a: 1 }, from: 1, current: false });
    expect(first.read(first.write({ a: 1 }))).toEqual({ ok: true, data: { a: 1 }, from: 1, current: true });
  });

  it('refuses a version newer than it knows, saying which, without migrating or validating it', () => {
    expect(format.read({ version: 4, anything: true })).toEqual({
      ok: false,
      reason: 'newer',
      problem: 'version: 4 was written by a newer version of the app (this one reads up to 3)',
    });
  });

  it('refuses a version that is not a whole number from 1, naming the field', () => {
    for (const version of [0, -1, 1.5, '2', null]) {
      const read = format.read({ version, title: 't', tags: [] });
      expect(read).toMatchObject({ ok: false, reason: 'invalid', problem: expect.stringMatching(/^version: /) });
    }
  });

  it("validates a migration's result with the newest schema, naming the field and the versions", () => {
    const read = format.read({ name: '' });
    expect(read).toEqual({
      ok: false,
      reason: 'invalid',
      problem: 'title: must not be empty (after bringing it from version 1 to 3)',
    });
    // A step that yields something the newest version does not have is refused too, not kept.
    const sloppy = versionedFormat({ schema, migrations: [(previous) => ({ ...previous, title: 'x', tags: [], extra: 1 })] });
    expect(sloppy.read({})).toMatchObject({ ok: false, reason: 'invalid', problem: expect.stringMatching(/extra/) });
  });

  it('refuses content a step cannot handle, saying which step', () => {
    expect(format.read({ version: 2 })).toMatchObject({
      ok: false,
      reason: 'invalid',
      problem: expect.stringMatching(/^title: .*\(after bringing it from version 2 to 3\)$/),
    });
    const throwing = versionedFormat({
      schema,
      migrations: [
        () => {
          throw new Error('no name');
        },
      ],
    });
    expect(throwing.read({})).toEqual({ ok: false, reason: 'invalid', problem: 'version: cannot be brought from 1 to 2 (no name)' });
    expect(format.read([1, 2])).toMatchObject({ ok: false, reason: 'invalid', problem: expect.stringMatching(/not a JSON object/) });
  });

  it('leaves content that is not an object to the schema, in its words, when there is nothing to migrate', () => {
    const first = versionedFormat({ schema: z.object({ a: z.number() }), migrations: [] });
    expect(first.read('text')).toMatchObject({ ok: false, reason: 'invalid', problem: expect.stringMatching(/^\(root\): /) });
  });
});
