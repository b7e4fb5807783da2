export { createResourcePool } from './api/createResourcePool';
export { ResourcePool } from './api/ResourcePool';
export { ModelHandle } from './api/ModelHandle';
export { DEFAULT_POOL_OPTIONS } from './api/options';
export type { PoolOptions } from './api/options';
export type { PoolEvents } from './api/events';
export type { ConnectionStats, ModelStats, PoolStats } from './api/stats';
export type {
  Backend,
  BackendFailure,
  ConnectionKind,
  Feeds,
  GetModelOptions,
  ModelBytesSource,
  ModelPreferences,
  ModelSource,
  ModelType,
  PassThroughSessionOptions,
  Precision,
  Results,
  RunOptions,
} from './api/types';
export { AccelError, isAccelError } from './errors/AccelError';
export type { AccelErrorCode, AccelErrorInit } from './errors/AccelError';
export { ErrorCategory, ERROR_CATEGORIES, MESSAGING, isErrorCategory } from './errors/ErrorCategory';
export type { ErrorScope } from './errors/ErrorCategory';
export { classify } from './errors/classify';
export type { HostCapabilities, ValueInfo } from './connections/protocol';
