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
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
