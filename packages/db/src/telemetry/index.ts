export * from './bindings';
export * from './partitions';
export * from './store';
export * from './field-day';
