'use strict';
// require('wgsr/node'): see index.cjs.
module.exports = require('./esm-only.cjs').requireEsm(() => require('../dist/node.js'), 'wgsr/node');
