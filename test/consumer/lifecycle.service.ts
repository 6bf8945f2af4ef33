import { Injectable } from '@nestjs/common';
import { InjectCheckoutSessionCache, type CheckoutSessionCache } from '@ticketoffice/checkout-session-cache';

/** A consumer's service: injects the port the documented way and runs the whole session lifecycle. */
@Injectable()
export class LifecycleService {
  constructor(@InjectCheckoutSessionCache() private readonly sessions: CheckoutSessionCache) {}

  async run(): Promise<Record<string, unknown>> {
    const eventId = `consumer-${Date.now()}`;
    const created = await this.sessions.create({ eventId, priceId: 'standard', quantity: 2, price: 30, metadata: { from: 'consumer' } });
    const read = await this.sessions.getById(created.id);
    const confirming = await this.sessions.updateStatus(created.id, 'CONFIRMING');
    const held = await this.sessions.count({ eventId, priceId: 'standard' });
    await this.sessions.deleteById(created.id);
    const afterDelete = await this.sessions.getById(created.id);
    const heldAfterDelete = await this.sessions.count({ eventId });
    return {
      created: created.status,
      sameOnRead: read?.id === created.id && read.quantity === 2,
      confirming: confirming?.status,
      held,
      afterDelete,
      heldAfterDelete,
    };
  }
}
