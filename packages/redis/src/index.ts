export { RedisEngine, type RedisEngineEvents, type RedisEngineOptions, redisEngine } from './redis-engine.js';
export { MAX_LISTED_PEERS } from './rpc.js';
