import { createCallerFactory, createTRPCRouter } from './init';
import { fieldRouter } from './routers/field';
import { meRouter } from './routers/me';
import { readingsRouter } from './routers/readings';

export const appRouter = createTRPCRouter({
  me: meRouter,
  field: fieldRouter,
  readings: readingsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
