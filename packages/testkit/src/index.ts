export { type BrowserCloseEvent, type BrowserMessageEvent, BrowserLikeWebSocket, recordingWebSocket } from './browser-websocket.js';
export { type Deferred, deferred, nextEvent } from './deferred.js';
export { describeEngineConformance } from './engine-conformance.js';
export { EngineWrapper } from './engine-wrapper.js';
export { Log, disconnectOf, expectError, reachState, rejection, track } from './expectations.js';
export { type CloseInfo, RawClient, type RawClientOptions } from './raw-client.js';
export { startRouter } from './router.js';
export { type RouterProcess, spawnRouter } from './spawn-router.js';
export { type RedisServer, type RedisServerOptions, startRedisServer } from './redis-server.js';
