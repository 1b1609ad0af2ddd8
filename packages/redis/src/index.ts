export { RedisEngine, type RedisEngineEvents, type RedisEngineOptions, redisEngine } from './redis-engine.js';
export { ANNOUNCE_DELAY_MS, MAX_LISTED_PEERS } from './rpc.js';
export { REDIS_ENGINE_OPTION_PAIRS, REDIS_ENGINE_OPTION_RANGES } from './redis-options.js';
