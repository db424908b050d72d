#!/usr/bin/env node
// The `buckyos` command: runs the TypeScript CLI through tsx's loader so a checkout works without a build step.
import { register } from 'tsx/esm/api';
register();
await import('../kernel/cli.ts');
