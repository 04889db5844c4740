#!/usr/bin/env node
/**
 * `baton`: the local cluster (`baton start`, `npm start` in the checkout) and the operator's commands on it or on a
 * deployed stack. The commands are declared in cli/commands.ts (`baton --help` lists them, `baton <command> --help`
 * shows one's options and examples), parsed in cli/program.ts, and run by the handlers beside them.
 */
import { main } from './cli/program.ts';

await main(process.argv.slice(2));
