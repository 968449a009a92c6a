import type { ServiceContext } from '@recio/service-kit';
import { z } from 'zod';
import { USER_ID } from '../api-tokens.js';

/** The Fastify scope the /api/v1 routes are registered on (authenticated by its onRequest hook). */
export type Api = ServiceContext['http'];

/** `?user=`: whose data (admins only, for reads; see auth.ts). */
export const UserQuery = z.object({ user: USER_ID.optional() });
