import { createCallerFactory, createTRPCRouter } from './init';
import { fieldRouter } from './routers/field';
import { meRouter } from './routers/me';

export const appRouter = createTRPCRouter({
  me: meRouter,
  field: fieldRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
