export * from './errors';
export * from './nit';
export * from './canonical-json';
export * from './audit';
export * from './tenancy';
export * from './secrets';
