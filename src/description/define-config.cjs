// What `require('circle-fargate')` gives a CommonJS-compiled circle-fargate.config.ts in a
// project where circle-fargate is not installed: defineConfig, which returns its argument.
'use strict';
exports.defineConfig = (description) => description;
