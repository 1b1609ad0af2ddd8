export { type HeraldConfig, type LimitOptions, defineConfig, loadConfig } from './config.js';
export { createJsonLogger } from './json-logger.js';
export { LiteralError, formatLiteral, parseLiteral, toJson } from './literal.js';
export { main } from './main.js';
