import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { boxTable, type Field, listTable, printList, printObject } from './output.js';

function capture() {
  const out = { text: '' };
  const io: CliIo = { stdout: { write: (t: string) => (out.text += t) }, stderr: { write: () => true }, env: {} };
  return { io, out };
}

interface Row {
  id: string;
  note: string | null;
  on: boolean;
}

const fields: Field<Row>[] = [
  { header: 'Current', key: 'current', value: (r) => r.on },
  { header: 'ID', key: 'id', value: (r) => r.id },
  { header: 'Note', key: 'note', value: (r) => r.note, empty: 'none' },
];

describe('output', () => {
  it('lays a list out as Confluent does: centred headers, a rule, cells left-aligned', () => {
    expect(listTable(['Current', 'ID'], [['*', 'env-1'], ['', 'env-22222']])).toBe(
      ['  Current |    ID', '----------+-----------', '  *       | env-1', '          | env-22222', ''].join('\n'),
    );
  });

  it('boxes a description', () => {
    expect(boxTable([['ID', 'sa-1'], ['Name', 'orders']])).toBe(['+------+--------+', '| ID   | sa-1   |', '| Name | orders |', '+------+--------+', ''].join('\n'));
  });

  it('shows booleans as * in lists and true/false in descriptions, and null as the field\'s empty text', () => {
    const list = capture();
    printList(list.io, 'human', fields, [{ id: 'a', note: null, on: true }]);
    expect(list.out.text.split('\n')[2]).toBe('  *       | a  | none');
    const box = capture();
    printObject(box.io, 'human', fields, { id: 'a', note: null, on: false });
    expect(box.out.text).toContain('| Current | false |');
  });

  it('escapes control and bidirectional characters for people, and keeps them for JSON and YAML', () => {
    const hostile: Row = { id: 'x\u001b[2J', note: 'evil\u202etxt\nline', on: false };
    const human = capture();
    printObject(human.io, 'human', fields, hostile);
    expect(human.out.text).toContain('| ID      | x\\u001b[2J');
    expect(human.out.text).toContain('| Note    | evil\\u202etxt\\u000aline |');
    expect(human.out.text).not.toContain('\u001b');
    expect(human.out.text).not.toContain('\u202e');
    const json = capture();
    printList(json.io, 'json', fields, [hostile]);
    expect(JSON.parse(json.out.text)).toEqual([{ current: false, id: 'x\u001b[2J', note: 'evil\u202etxt\nline' }]);
    const yaml = capture();
    printObject(yaml.io, 'yaml', fields, hostile);
    expect(yaml.out.text).toContain('current: false\n');
  });
});
