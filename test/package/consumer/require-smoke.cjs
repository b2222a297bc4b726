// Run in the consumer project: require('wgsr') and require('wgsr/node'). `works` where this Node
// can require() ES modules; `refused` where it cannot (or is told not to), which must say what
// to write instead rather than ERR_PACKAGE_PATH_NOT_EXPORTED.
const assert = require('node:assert/strict');

const mode = process.argv[2];
for (const name of ['wgsr', 'wgsr/node']) {
  if (mode === 'works') {
    assert.equal(typeof require(name).createUpscaler, 'function', `require('${name}').createUpscaler`);
  } else {
    assert.throws(
      () => require(name),
      (e) => /is ESM-only/.test(e.message) && e.message.includes(`await import('${name}')`),
      `require('${name}') is refused with a message saying to use import()`,
    );
  }
}
console.log(`require ${mode}: wgsr, wgsr/node`);
