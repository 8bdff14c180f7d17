import { ArtifactIntegrityError, InvalidInputError } from '../../../src/lib/errors';
import { sha256Hex, validateSha256, verifySha256 } from '../../../src/storage/integrity';

// FIPS 180-2 test vectors.
const VECTORS: Array<[string, string]> = [
  ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
];

describe('sha256Hex', () => {
  it.each(VECTORS)('hashes %j to the published digest', (message, digest) => {
    expect(sha256Hex(new TextEncoder().encode(message))).toBe(digest);
  });
});

describe('validateSha256', () => {
  it('lower-cases a valid digest and refuses anything else, naming the field', () => {
    expect(validateSha256(VECTORS[1][1].toUpperCase())).toBe(VECTORS[1][1]);
    expect(() => validateSha256('xyz', 'sha256')).toThrow(InvalidInputError);
    expect(() => validateSha256('xyz', 'sha256')).toThrow('expects sha256 to be a SHA-256 of 64 hex digits, but got "xyz"');
  });
});

describe('verifySha256', () => {
  it('returns bytes that match and refuses bytes that do not, naming the file and both hashes', () => {
    const abc = new TextEncoder().encode('abc');
    expect(verifySha256(abc, VECTORS[1][1], 'models/m/v1/model.json', '/data/artifacts')).toBe(abc);
    const corrupt = () => verifySha256(abc, VECTORS[0][1], 'models/m/v1/model.json', '/data/artifacts');
    expect(corrupt).toThrow(ArtifactIntegrityError);
    expect(corrupt).toThrow(
      new Error(
        `refusing artifact file "models/m/v1/model.json" in /data/artifacts: expects SHA-256 ${VECTORS[0][1]} ` +
          `(recorded when it was written), but the stored 3 bytes hash to ${VECTORS[1][1]}; ` +
          'the file was changed or damaged after it was written',
      ),
    );
  });
});
