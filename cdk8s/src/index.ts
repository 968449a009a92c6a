/** @recio/cdk8s: the platform's Kubernetes manifests, synthesized from @recio/platform and @recio/topology. */
export {
  CHART_VARIANTS,
  PROFILES,
  REDIS_MODES,
  parseChartConfig,
  type ChartConfig,
  type ChartConfigInput,
  type Profile,
  type RedisMode,
} from './config.js';
export { ChartConfigError, UnknownEnvVarError } from './errors.js';
export { buildCharts, GENERATED_HEADER, synthesizeFiles, synthesizeObjects } from './recio-charts.js';
export { variantDir, writeCharts } from './write-charts.js';
export {
  EventConsumer,
  EventConsumerCrd,
  EVENT_CONSUMER_SCHEMA,
  type EventConsumerSpec,
} from './event-consumer-crd.js';
