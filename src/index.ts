// Package root: dist/index.js re-exports the public API (src/api/index.ts).
export * from './api/index.js';
