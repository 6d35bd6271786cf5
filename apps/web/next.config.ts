import type { NextConfig } from 'next';

const config: NextConfig = {
  // Internal packages ship TypeScript source (see docs/ARCHITECTURE.md).
  transpilePackages: ['@anh/db', '@anh/domain', '@anh/worker'],
  serverExternalPackages: ['pg', 'pg-copy-streams', 'bullmq', 'ioredis', 'basic-ftp'],
  poweredByHeader: false,
  typedRoutes: false,
};

export default config;
