import { describe, expect, it } from 'vitest';
import { closestMatches, editDistance, joinOr, plural } from '../../src/util/text.js';

describe('plural', () => {
  it.each([
    [0, '0 stocks'],
    [1, '1 stock'],
    [2, '2 stocks'],
    [7360, '7360 stocks'],
  ])('agrees the noun with %i', (count, expected) => {
    expect(plural(count, 'stock', 'stocks')).toBe(expected);
  });

  it('takes irregular plurals as given', () => {
    expect(plural(1, 'company', 'companies')).toBe('1 company');
    expect(plural(3, 'batch', 'batches')).toBe('3 batches');
  });
});

describe('editDistance', () => {
  it.each([
    ['status', 'status', 0],
    ['stauts', 'status', 1], // a swap of neighbours counts once
    ['max_worker', 'max_workers', 1],
    ['sheduling', 'scheduling', 1],
    ['batchsize', 'batch_size', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
  ])('%s -> %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('closestMatches', () => {
  const keys = ['batch_size', 'delay_between_batches_seconds', 'max_workers', 'force_refresh', 'comment', 'description'];

  it('suggests the nearest key within 2 edits', () => {
    expect(closestMatches('max_worker', keys)).toEqual(['max_workers']);
    expect(closestMatches('forse_refesh', keys)).toEqual(['force_refresh']);
    expect(closestMatches('Batch_Size', keys)).toEqual(['batch_size']);
  });

  it('suggests nothing for a word far from every candidate, or too short to judge', () => {
    expect(closestMatches('retries', keys)).toEqual([]);
    expect(closestMatches('x', ['y', 'help'])).toEqual([]);
  });

  it('lists ties', () => {
    expect(closestMatches('cat', ['bat', 'cap', 'dog'])).toEqual(['bat', 'cap']);
    expect(joinOr(['bat', 'cap'])).toBe('bat or cap');
    expect(joinOr(['a', 'b', 'c'])).toBe('a, b or c');
  });
});
