#!/usr/bin/env node
// The `governance` bin: runs the TypeScript CLI through tsx's loader, so no build step is needed.
import { register } from 'tsx/esm/api';

// The README states the Node recommendation once; the SDK's per-process banner would repeat it on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('./main.ts');
