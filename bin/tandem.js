#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm install` (the `prepare` script).
import('../dist/src/cli/main.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('tandem: dist/ is missing. Run `npm run build` (npm install does it for you).');
    process.exit(70);
  }
  throw error;
});
