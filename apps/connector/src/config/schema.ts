// The configuration file's schema is a contract shared with the web app (tag mapping
// export and import): it lives in @anh/domain.
export * from '@anh/domain/connector-config';
