/** Dataset tables refuse oversized cells and quote bad values by a bounded excerpt, naming row and column. */
import { tableFromCsv, tableFromRows } from '../../../src/lib/dataset-table';
import { InvalidInputError } from '../../../src/lib/errors';

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, but nothing was thrown');
}

describe('cell bounds', () => {
  it('refuses a CSV cell longer than maxCellChars, naming its line and column', () => {
    const error = refusal(() => tableFromCsv(`a,b\n1,${'x'.repeat(10_001)}\n`));
    expect(error.message).toBe('line 2, column "b": expects a cell of at most 10000 characters, but got 10001');
    expect(error.details).toEqual({ field: 'rows' });
  });

  it('refuses a JSON string value longer than maxCellChars', () => {
    expect(refusal(() => tableFromRows([{ a: 1, note: 'y'.repeat(20_000) }])).message).toBe(
      'row 1, column "note": expects a cell of at most 10000 characters, but got 20000',
    );
  });

  it('takes cells up to the bound', () => {
    expect(tableFromRows([{ a: 1, note: 'y'.repeat(10_000) }]).rowCount).toBe(1);
  });

  it('quotes a bad number by a bounded excerpt', () => {
    const error = refusal(() => tableFromRows([{ a: 1 }, { a: `${'9'.repeat(5_000)}z` }], [{ name: 'a', type: 'number' }]));
    expect(error.message).toMatch(/^row 2, column "a": expects a finite number, but got "9{120}"… \(5001 characters\)$/);
  });
});
