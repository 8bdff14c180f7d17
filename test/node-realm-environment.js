/**
 * Jest's node environment runs tests in a separate V8 realm whose typed-array constructors differ from
 * Node's own. onnxruntime-node creates output tensors from native Float32Arrays (Node's realm), which
 * onnxruntime-common then refuses with "A float32 tensor's data must be type of function Float32Array()".
 * jest-environment-node already shares ArrayBuffer and Uint8Array with the test realm; this shares the
 * other typed arrays too. Every test project uses it (jest.config.js).
 */
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class NodeRealmEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = NodeRealmEnvironment;
