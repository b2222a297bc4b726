'use strict';
// require('wgsr'). wgsr is ES modules: Node ≥ 20.19 and ≥ 22.12 (and Bun) load them with require(),
// which is all this file does; older Nodes cannot, and are told what to write instead.
module.exports = require('./esm-only.cjs').requireEsm(() => require('../dist/index.js'), 'wgsr');
