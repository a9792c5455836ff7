import type { Handlers } from '@shared/contract';
import type { ServiceContext } from './service-context';

type RegistrationHandlers = Pick<Handlers, 'registration.start' | 'registration.cancel'>;

/** Scan to create (registration.ts): started and cancelled here, followed through `registration` events. */
export function registrationHandlers(ctx: ServiceContext): RegistrationHandlers {
  return {
    'registration.start': async ({ platform }) => ({ registrationId: ctx.registrations.start(platform) }),
    'registration.cancel': async ({ registrationId }) => ({ cancelled: ctx.registrations.cancel(registrationId) }),
  };
}
