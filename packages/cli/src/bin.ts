#!/usr/bin/env node
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
// Commands that return have closed what they opened; a lingering handle must not keep us alive.
process.exit();
