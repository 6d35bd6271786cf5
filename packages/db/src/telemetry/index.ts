export * from './bindings';
export * from './partitions';
export * from './store';
