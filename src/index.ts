export { createResourcePool } from './api/createResourcePool';
export { DEFAULT_POOL_PARAMETERS, getDefaultPool } from './api/defaultPool';
export type { DefaultPoolConfig } from './api/defaultPool';
export { ResourcePool } from './api/ResourcePool';
export { ModelHandle } from './api/ModelHandle';
export { DEFAULT_POOL_OPTIONS } from './api/options';
export type { PoolOptions } from './api/options';
export type { PoolEvents } from './api/events';
export type {
  ConnectionHealth,
  ConnectionStats,
  ModelStats,
  PoolHealth,
  PoolStats,
} from './api/stats';
export type { RetryOptions } from './api/options';
export { DEFAULT_BREAKER_OPTIONS, CircuitBreaker } from './resilience/CircuitBreaker';
export type {
  CircuitBreakerOptions,
  CircuitSnapshot,
  CircuitState,
  Clock,
} from './resilience/CircuitBreaker';
export { DEFAULT_HEALTH_OPTIONS, HEALTH_WEIGHTS, HealthScore } from './resilience/HealthScore';
export type { HealthFactors, HealthScoreOptions } from './resilience/HealthScore';
export { RECOVERY_PLANS } from './resilience/RecoveryPlan';
export type { RecoveryStrategy } from './resilience/RecoveryPlan';
export type {
  Backend,
  BackendFailure,
  ConcurrentCall,
  ConcurrentResult,
  ConnectionKind,
  Feeds,
  GetModelOptions,
  KeptResults,
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
export { TensorHandle, isTensorHandle } from './tensors/TensorHandle';
/**
 * onnxruntime-common's `Tensor`, the class the pool's results are, re-exported so that pages
 * using the script-tag build can make feeds without importing it.
 */
export { Tensor } from 'onnxruntime-common';
export type { TensorStats } from './tensors/TensorStore';
export type { HostCapabilities, ValueInfo } from './connections/protocol';
