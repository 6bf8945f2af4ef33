/** Base class of every error the library throws. */
export class CheckoutSessionCacheError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
