#!/usr/bin/env node
import { runCli } from './cli-io.js';
import { buildProgram } from './program.js';

await runCli(buildProgram(), process.argv);
