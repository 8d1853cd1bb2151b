#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the package needs no build step.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../cli/main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
