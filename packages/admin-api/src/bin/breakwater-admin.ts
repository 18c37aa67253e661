#!/usr/bin/env node
// The standalone admin API: see README.md (environment variables) and server.ts.
import { runAdminServer } from '../server.js';

await runAdminServer(process.env, process.argv.slice(2));
