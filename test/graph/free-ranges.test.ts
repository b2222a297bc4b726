import { describe, expect, it } from 'vitest';
import { bestFit, giveBack, takeRange, type Range } from '../../src/graph/free-ranges.js';

describe('free ranges of an arena allocator', () => {
  it('best fit takes the range that leaves least over, the first one on a tie, across arenas', () => {
    const arenas = [{ free: [{ start: 0, end: 10 }, { start: 20, end: 26 }] }, { free: [{ start: 4, end: 9 }, { start: 30, end: 35 }] }];
    expect(bestFit(arenas, 5)).toEqual({ arena: 1, range: 0, start: 4 });
    expect(bestFit(arenas, 6)).toEqual({ arena: 0, range: 1, start: 20 });
    expect(bestFit(arenas, 11)).toBeUndefined();
  });

  it('an aligned start must still fit inside the range', () => {
    // [3, 10) holds 7 elements, but aligned to 4 the block starts at 4 and only 6 fit.
    const arenas = [{ free: [{ start: 3, end: 10 }, { start: 40, end: 60 }] }];
    expect(bestFit(arenas, 6, 4)).toEqual({ arena: 0, range: 0, start: 4 });
    expect(bestFit(arenas, 7, 4)).toEqual({ arena: 0, range: 1, start: 40 });
  });

  it('taking a block keeps what is left on either side; giving it back merges the neighbours', () => {
    const free: Range[] = [{ start: 0, end: 2 }, { start: 3, end: 10 }, { start: 12, end: 20 }];
    takeRange(free, 1, 4, 4);
    expect(free).toEqual([{ start: 0, end: 2 }, { start: 3, end: 4 }, { start: 8, end: 10 }, { start: 12, end: 20 }]);
    takeRange(free, 0, 0, 2);
    expect(free).toEqual([{ start: 3, end: 4 }, { start: 8, end: 10 }, { start: 12, end: 20 }]);
    giveBack(free, { start: 4, end: 8 });
    expect(free).toEqual([{ start: 3, end: 10 }, { start: 12, end: 20 }]);
    giveBack(free, { start: 10, end: 12 });
    expect(free).toEqual([{ start: 3, end: 20 }]);
    giveBack(free, { start: 0, end: 2 });
    expect(free).toEqual([{ start: 0, end: 2 }, { start: 3, end: 20 }]);
  });
});
