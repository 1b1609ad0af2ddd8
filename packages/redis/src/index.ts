export { RedisEngine, type RedisEngineEvents, type RedisEngineOptions, redisEngine } from './redis-engine.js';
