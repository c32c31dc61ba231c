// The multipart plan obeys S4's part rules: equal parts of at least 5 MiB, at most 10,000.
// Run: node --test crates/console/tests/

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_PARTS, PART_SIZE, partSizeFor } from '../assets/js/upload.js';

const MIB = 1024 * 1024;

test('parts are 8 MiB until 10,000 of them no longer hold the file', () => {
  assert.equal(PART_SIZE, 8 * MIB);
  assert.equal(partSizeFor(40 * MIB), 8 * MIB);
  assert.equal(partSizeFor(PART_SIZE * MAX_PARTS), 8 * MIB);
  assert.equal(partSizeFor(PART_SIZE * MAX_PARTS + 1), 9 * MIB);
});

test('every size up to 5 TiB fits in 10,000 whole-MiB parts of at least 5 MiB', () => {
  for (const size of [8 * MIB + 1, 1e9, 80e9, 81e9, 1e12, 5 * 1024 ** 4]) {
    const part = partSizeFor(size);
    assert.ok(part >= 5 * MIB, `${size}: ${part}`);
    assert.equal(part % MIB, 0);
    assert.ok(Math.ceil(size / part) <= MAX_PARTS, `${size}: ${Math.ceil(size / part)} parts`);
  }
});
