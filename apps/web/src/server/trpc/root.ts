import { createCallerFactory, createTRPCRouter } from './init';
import { fieldRouter } from './routers/field';
import { accountRouter } from './routers/account';
import { connectorsRouter } from './routers/connectors';
import { deliveryRouter } from './routers/delivery';
import { meRouter } from './routers/me';
import { readingsRouter } from './routers/readings';
import { configRouter } from './routers/config';
import { membersRouter } from './routers/members';
import { alertsRouter } from './routers/alerts';
import { anomaliesRouter } from './routers/anomalies';
import { dashboardRouter } from './routers/dashboard';
import { reportsRouter } from './routers/reports';
import { auditRouter } from './routers/audit';
import { seriesRouter } from './routers/series';
import { pushRouter } from './routers/push';
import { liveRouter } from './routers/live';

export const appRouter = createTRPCRouter({
  account: accountRouter,
  me: meRouter,
  field: fieldRouter,
  readings: readingsRouter,
  delivery: deliveryRouter,
  connectors: connectorsRouter,
  config: configRouter,
  members: membersRouter,
  alerts: alertsRouter,
  anomalies: anomaliesRouter,
  dashboard: dashboardRouter,
  reports: reportsRouter,
  audit: auditRouter,
  series: seriesRouter,
  live: liveRouter,
  push: pushRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
