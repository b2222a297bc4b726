#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm run build`, run by `npm ci` via `prepare`).
import { launch } from '../dist/cli/launch.js';

process.exitCode = await launch(process.argv.slice(2));
