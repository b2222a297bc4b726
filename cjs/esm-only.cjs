'use strict';

/**
 * Loads one of wgsr's ES-module entries for require(). Where this Node cannot require() an ES
 * module (before 20.19 and 22.12, or with --no-experimental-require-module), Node's own error
 * (ERR_REQUIRE_ESM) names a file inside dist/; this one says what to write instead.
 */
exports.requireEsm = function requireEsm(load, name) {
  try {
    return load();
  } catch (e) {
    if (!e || e.code !== 'ERR_REQUIRE_ESM') throw e;
    throw new Error(
      `${name} is ESM-only, and require() of ES modules is not available here (Node ${process.version}; ` +
        `it is from Node 20.19 and 22.12 on, unless --no-experimental-require-module is set): ` +
        `use \`const { createUpscaler } = await import('${name}')\`, which works from CommonJS too.`,
      { cause: e },
    );
  }
};
